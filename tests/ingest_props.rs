//! Property tests for every ingest parser (RSS, Atom: announcement feed and API, JSON lines:
//! ours, crawlers', Kaggle's streamed): real feeds mutated at random (bytes flipped, cut,
//! spliced, markup and invalid UTF-8 inserted, pieces repeated) and plain random bytes. Each
//! must parse or return an error naming the file; none may panic or allocate more than a
//! fixed multiple of its input (checked by a counting allocator).
//!
//! The allocator counts per thread, so the other tests of the binary, running beside it, do
//! not touch its figures; one `#[test]` runs every corpus, one after another, on its thread.

use crate::common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use arxrank::ingest::{parse_listing, Format, JsonLines, ReadOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

struct Counting;

thread_local! {
    /// Bytes this thread holds now, and the most it held since the last reset. Signed: a
    /// block freed here may have been allocated on another thread. Const-initialised cells
    /// without destructors, so the allocator may touch them at any time.
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}
/// The most memory any case took, per byte of its input (× 100), and the outcomes.
static WORST: AtomicUsize = AtomicUsize::new(0);
static PARSED: AtomicUsize = AtomicUsize::new(0);
static REFUSED: AtomicUsize = AtomicUsize::new(0);

fn count(delta: isize) {
    let _ = CURRENT.try_with(|c| {
        let now = c.get() + delta;
        c.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

/// Starts a measurement on this thread: returns what it holds now.
fn reset_peak() -> isize {
    let now = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(now));
    now
}

/// Bytes above `base` this thread held at its peak since `reset_peak`.
fn peak_since(base: isize) -> usize {
    (PEAK.with(Cell::get) - base).max(0) as usize
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Cases per corpus; the total is printed.
const CASES: u32 = 5000;

/// Peak extra memory a parse may use: the parsed tree and papers are a few times the
/// input; anything far above that would be allocation driven by the input's claims.
fn allowed(input: usize) -> usize {
    64 * input + (4 << 20)
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: usize,
        byte: u8,
    },
    Cut {
        at: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Repeat {
        from: usize,
        len: usize,
        times: usize,
    },
    Delete {
        from: usize,
        len: usize,
    },
}

/// Pieces that stress XML and JSON parsers more than random bytes do.
fn nasty() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"<".to_vec()),
        Just(b"&".to_vec()),
        Just(b"&#x0;".to_vec()),
        Just(b"&amp;&lt;&#9999999999;".to_vec()),
        Just(b"<![CDATA[".to_vec()),
        Just(b"]]>".to_vec()),
        Just(b"<!DOCTYPE x [<!ENTITY a \"&a;&a;\">]>".to_vec()),
        Just(b"</item>".to_vec()),
        Just(b"<item>".to_vec()),
        Just(b"<entry>".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\\u0000\\ud800".to_vec()),
        Just(vec![0xff, 0xfe]),
        Just(vec![0xe2, 0x82]),
        Just(vec![0]),
        Just(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..64),
    ]
}

fn mutation(len: usize) -> impl Strategy<Value = Mutation> {
    let len = len.max(1);
    prop_oneof![
        (0..len, any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (0..len).prop_map(|at| Mutation::Cut { at }),
        (0..len, nasty()).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (0..len, 1..512usize, 2..20usize).prop_map(|(from, len, times)| Mutation::Repeat {
            from,
            len,
            times
        }),
        (0..len, 1..4096usize).prop_map(|(from, len)| Mutation::Delete { from, len }),
    ]
}

fn apply(mut b: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let n = b.len();
        match *m {
            Mutation::Flip { at, byte } if n > 0 => b[at % n] = byte,
            Mutation::Cut { at } => b.truncate(at.min(n)),
            Mutation::Insert { at, ref bytes } => {
                let at = at.min(n);
                b.splice(at..at, bytes.iter().copied());
            }
            Mutation::Repeat { from, len, times } if n > 0 => {
                let from = from % n;
                let piece = b[from..(from + len).min(n)].to_vec();
                for _ in 0..times {
                    b.splice(from..from, piece.iter().copied());
                }
            }
            Mutation::Delete { from, len } => {
                let from = from.min(n);
                b.drain(from..(from + len).min(n));
            }
            _ => {}
        }
    }
    b
}

/// Parses `bytes` as the listing reader would, checking the error and the memory it took.
fn parse_checked(name: &str, bytes: Vec<u8>, format: Format) -> Result<(), TestCaseError> {
    let len = bytes.len();
    let base = reset_peak();
    let opts = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    let result = parse_listing(Path::new(name), &bytes, &opts);
    let used = peak_since(base);
    prop_assert!(
        used <= allowed(len),
        "{name}: {used} bytes allocated for {len} bytes of input"
    );
    if len > 1024 {
        WORST.fetch_max(used * 100 / len, Ordering::Relaxed);
    }
    match &result {
        Ok(_) => PARSED.fetch_add(1, Ordering::Relaxed),
        Err(_) => REFUSED.fetch_add(1, Ordering::Relaxed),
    };
    if let Err(e) = result {
        let msg = e.to_string();
        prop_assert!(
            msg.contains(name),
            "the error does not name the file: {msg}"
        );
    }
    Ok(())
}

/// The Kaggle/JSONL stream reader `backfill` uses.
fn stream_checked(name: &str, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let len = bytes.len();
    let base = reset_peak();
    let mut lines = JsonLines::new(name, std::io::Cursor::new(bytes));
    let mut steps = 0;
    for r in &mut lines {
        steps += 1;
        prop_assert!(steps <= len + 1, "{name}: the stream does not end");
        if let Err(e) = r {
            let msg = e.to_string();
            prop_assert!(
                msg.contains(name),
                "the error does not name the file: {msg}"
            );
        }
    }
    let used = peak_since(base);
    prop_assert!(used <= allowed(len), "{name}: {used} bytes for {len}");
    Ok(())
}

fn first_lines(path: &Path, n: usize) -> Vec<u8> {
    let text = fs_err::read_to_string(path).unwrap();
    let mut out: String = text.lines().take(n).collect::<Vec<_>>().join("\n");
    out.push('\n');
    out.into_bytes()
}

#[test]
fn ingest_parsers_survive_mutated_feeds_and_random_bytes() {
    let corpora: Vec<(&str, Vec<u8>, Format)> = vec![
        (
            "rss.xml",
            common::feeds::pool_rss("2025-05-12", 12).into_bytes(),
            Format::Rss,
        ),
        (
            "announce.atom.xml",
            fs_err::read(common::data("cs-announce-2025-10-22.atom.xml")).unwrap(),
            Format::Atom,
        ),
        (
            "api.atom.xml",
            common::feeds::api_page("2025-05-13", 12, 0, 12).into_bytes(),
            Format::Atom,
        ),
        (
            "crawl.jsonl",
            fs_err::read(common::data("daily-arxiv-ai-enhanced_2025-10-22.jsonl")).unwrap(),
            Format::Jsonl,
        ),
        (
            "pool.jsonl",
            first_lines(
                &common::data("daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl"),
                12,
            ),
            Format::Jsonl,
        ),
    ];
    let kaggle = first_lines(
        &common::data("kaggle-arxiv-metadata-format-sample.jsonl"),
        12,
    );
    let mut total = 0u32;
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    for (name, bytes, format) in &corpora {
        // Each corpus parses cleanly before it is mutated.
        let opts = ReadOptions {
            format: *format,
            ..ReadOptions::default()
        };
        assert!(
            parse_listing(Path::new(name), bytes, &opts).is_ok(),
            "{name}"
        );
        for f in [*format, Format::Auto] {
            let mut runner = TestRunner::new(config.clone());
            runner
                .run(
                    &proptest::collection::vec(mutation(bytes.len()), 1..6),
                    |muts| parse_checked(name, apply(bytes.clone(), &muts), f),
                )
                .unwrap_or_else(|e| panic!("{name} as {f:?}: {e}"));
            total += CASES;
        }
    }
    let mut runner = TestRunner::new(config.clone());
    runner
        .run(
            &proptest::collection::vec(mutation(kaggle.len()), 1..6),
            |muts| stream_checked("kaggle.jsonl", apply(kaggle.clone(), &muts)),
        )
        .unwrap();
    total += CASES;
    for format in [Format::Auto, Format::Rss, Format::Atom, Format::Jsonl] {
        let mut runner = TestRunner::new(config.clone());
        runner
            .run(&proptest::collection::vec(any::<u8>(), 0..4096), |b| {
                parse_checked("random.bin", b, format)
            })
            .unwrap();
        total += CASES;
    }
    let mut runner = TestRunner::new(config);
    runner
        .run(&proptest::collection::vec(any::<u8>(), 0..4096), |b| {
            stream_checked("random.jsonl", b)
        })
        .unwrap();
    total += CASES;
    println!(
        "{total} cases: no panic; {} listings parsed, {} refused, each error naming its file; \
         at most {:.1} bytes allocated per input byte (limit 64)",
        PARSED.load(Ordering::Relaxed),
        REFUSED.load(Ordering::Relaxed),
        WORST.load(Ordering::Relaxed) as f64 / 100.0
    );
}
