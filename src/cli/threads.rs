//! One thread count for every pool: rayon's (tokenizers, the history's scans) and candle's.

/// Sets the thread count for rayon and candle before either starts a pool.
pub(super) fn init_threads(threads: Option<usize>) -> usize {
    let n = threads
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    // candle sizes its own pool from these variables on first use; rayon's global pool is
    // built here so tokenizers share the same count.
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    std::env::set_var("CANDLE_NUM_THREADS", n.to_string());
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
    n
}
