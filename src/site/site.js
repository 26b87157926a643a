// Filters a day page's papers by topic, minimum relevance and "digest picks only".
// The choice lives in the query string, so a reload, a shared link or the previous/next
// day links keep it. Plain script, no dependencies: the page must work from disk too.
(function () {
  'use strict';
  var form = document.getElementById('filter');
  if (!form) return;
  var cards = Array.prototype.slice.call(document.querySelectorAll('article.paper'));
  var tocItems = {};
  document.querySelectorAll('#toc li[data-paper]').forEach(function (li) {
    tocItems[li.getAttribute('data-paper')] = li;
  });
  var shown = document.getElementById('shown');
  var topic = form.elements.topic, min = form.elements.min, picks = form.elements.picks;

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (o) { return o.value === value; });
  }

  var params = new URLSearchParams(window.location.search);
  if (params.has('topic') && hasOption(topic, params.get('topic'))) topic.value = params.get('topic');
  if (params.has('min') && hasOption(min, params.get('min'))) min.value = params.get('min');
  if (params.get('all') === '1') picks.checked = false;

  function apply() {
    var wantTopic = topic.value, least = Number(min.value), picksOnly = picks.checked, n = 0;
    cards.forEach(function (card) {
      var ok = (!wantTopic || card.getAttribute('data-topic') === wantTopic) &&
        Number(card.getAttribute('data-relevance')) >= least &&
        (!picksOnly || card.getAttribute('data-selected') === '1');
      card.hidden = !ok;
      if (tocItems[card.id]) tocItems[card.id].hidden = !ok;
      if (ok) n += 1;
    });
    shown.textContent = String(n);

    var q = new URLSearchParams();
    if (wantTopic) q.set('topic', wantTopic);
    if (least > 1) q.set('min', String(least));
    if (!picksOnly) q.set('all', '1');
    var search = q.toString() ? '?' + q.toString() : '';
    document.querySelectorAll('a[data-keep-filter]').forEach(function (a) { a.search = search; });
    try {
      window.history.replaceState(null, '', window.location.pathname + search + window.location.hash);
    } catch (e) {
      // Some browsers refuse to rewrite file:// URLs; the filter works all the same.
    }
  }

  // A link to a paper the filter hides (a nearest past paper the digest did not pick) must
  // still land on it: widen the filter until it shows.
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var card = id ? document.getElementById(id) : null;
    if (!card || !card.classList.contains('paper') || !card.hidden) return;
    topic.value = '';
    min.value = '1';
    picks.checked = false;
    apply();
    card.scrollIntoView();
  }

  form.addEventListener('change', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  window.addEventListener('hashchange', reveal);
  form.hidden = false;
  apply();
  reveal();
})();

// Like / dislike on each card. On a static site the marks stay in this browser
// (localStorage, one key for the whole site, so marks on every day add up, and one per
// profile, so the sites of several profiles keep theirs apart) until "Export"
// saves them as feedback.jsonl for `arxrank learn --feedback`; nothing leaves the machine.
// Served by `arxrank serve` (its page carries <meta name="arxrank-serve"> with the session
// token), each mark goes to the server's feedback log at once instead, and the next
// `arxrank daily` learns from it. Clicking a pressed button takes the mark back. Without
// storage (disabled, or a private window that refuses it) and without a server the buttons
// stay hidden rather than pretend to remember.
(function () {
  'use strict';
  var bar = document.getElementById('feedback-bar');
  if (!bar) return;
  var KEY = bar.getAttribute('data-store') || 'arxrank-feedback';
  var day = bar.getAttribute('data-date');
  var served = document.querySelector('meta[name="arxrank-serve"]');
  var token = served ? served.getAttribute('content') : null;
  var api = (served && served.getAttribute('data-api')) || '/api/';
  var buttons = Array.prototype.slice.call(document.querySelectorAll('.vote button.like, .vote button.dislike'));
  var clear = document.getElementById('clear-feedback');
  var exported = document.getElementById('export-feedback');
  var store = null;
  var serverMarks = {};

  if (!token) {
    try {
      store = window.localStorage;
      store.getItem(KEY);
    } catch (e) {
      return;
    }
  }
  function load() {
    if (token) return serverMarks;
    try {
      var marks = JSON.parse(store.getItem(KEY) || '{}');
      return marks && typeof marks === 'object' ? marks : {};
    } catch (e) {
      return {};
    }
  }

  function paint() {
    var marks = load(), liked = 0, disliked = 0;
    Object.keys(marks).forEach(function (id) {
      if (marks[id].label === 1) liked += 1;
      else if (marks[id].label === -1) disliked += 1;
    });
    buttons.forEach(function (b) {
      var m = marks[b.getAttribute('data-id')];
      var want = b.classList.contains('like') ? 1 : -1;
      b.setAttribute('aria-pressed', m && m.label === want ? 'true' : 'false');
    });
    document.getElementById('liked').textContent = String(liked);
    document.getElementById('disliked').textContent = String(disliked);
  }

  function say(text, isError) {
    var hint = document.getElementById('feedback-hint');
    hint.textContent = text;
    hint.classList.toggle('feedback-error', !!isError);
  }

  // One mark to the server; the button shows it only once the log has it.
  function send(id, label) {
    return fetch(api + 'feedback', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Arxrank-Token': token },
      body: JSON.stringify({ id: id, label: label, day: day })
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
        if (label === 0) delete serverMarks[id];
        else serverMarks[id] = { label: label, date: day };
        paint();
      });
    }).catch(function (e) {
      say('The mark was not saved: ' + e.message, true);
    });
  }

  buttons.forEach(function (b) {
    b.addEventListener('click', function () {
      var marks = load(), id = b.getAttribute('data-id');
      var want = b.classList.contains('like') ? 1 : -1;
      var label = marks[id] && marks[id].label === want ? 0 : want;
      if (token) {
        send(id, label);
        return;
      }
      if (label === 0) delete marks[id];
      else marks[id] = { label: want, date: day };
      store.setItem(KEY, JSON.stringify(marks));
      paint();
    });
  });

  function show() {
    document.querySelectorAll('p.vote').forEach(function (p) { p.hidden = false; });
    bar.hidden = false;
    paint();
  }

  if (token) {
    exported.hidden = true;
    clear.hidden = true;
    say('Each mark is saved at once to your feedback log; the next arxrank daily learns from it.');
    fetch(api + 'feedback').then(function (r) { return r.json(); }).then(function (j) {
      Object.keys(j.marks || {}).forEach(function (id) {
        serverMarks[id] = { label: j.marks[id], date: day };
      });
      show();
      bar.setAttribute('data-ready', '1');
    }).catch(function (e) {
      show();
      say('Your marks could not be read: ' + e.message, true);
    });
    return;
  }

  // One JSON object per line, oldest day first, so a diff of two exports reads well.
  exported.addEventListener('click', function () {
    var marks = load();
    var lines = Object.keys(marks).map(function (id) {
      return { id: id, label: marks[id].label, date: marks[id].date };
    }).sort(function (a, b) {
      return a.date < b.date ? -1 : a.date > b.date ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    }).map(function (m) { return JSON.stringify(m) + '\n'; });
    var url = URL.createObjectURL(new Blob(lines, { type: 'application/x-ndjson' }));
    var a = document.createElement('a');
    a.href = url;
    a.download = 'feedback.jsonl';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  });

  // Two clicks, not a dialog: clearing loses marks that may not have been exported yet.
  clear.addEventListener('click', function () {
    if (clear.getAttribute('data-armed') !== '1') {
      clear.setAttribute('data-armed', '1');
      clear.textContent = 'Click again to clear every mark';
      return;
    }
    store.removeItem(KEY);
    clear.removeAttribute('data-armed');
    clear.textContent = 'Clear';
    paint();
  });

  window.addEventListener('storage', paint);
  show();
})();

// Search by meaning, only where `arxrank serve` answers: the box asks the whole history,
// "More like this" asks for the papers nearest to a card's. Results are built with
// textContent, never as HTML: titles are untrusted text.
(function () {
  'use strict';
  var served = document.querySelector('meta[name="arxrank-serve"]');
  var form = document.getElementById('search');
  var panel = document.getElementById('search-results');
  if (!served || !form || !panel) return;
  var api = served.getAttribute('data-api') || '/api/';
  var list = panel.querySelector('ol');
  var title = document.getElementById('search-title');

  function show(heading, url) {
    title.textContent = heading + ' (searching…)';
    panel.hidden = false;
    fetch(url).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
        return j.results;
      });
    }).then(function (results) {
      list.textContent = '';
      results.forEach(function (p) {
        var li = document.createElement('li');
        li.setAttribute('data-id', p.id);
        var a = document.createElement('a');
        a.href = p.url;
        a.textContent = p.title;
        li.appendChild(a);
        var meta = document.createElement('span');
        meta.className = 'meta';
        meta.textContent = ' · ' + p.id + (p.day ? ' · ' + p.day : '') + ' · cosine ' + p.cosine.toFixed(2);
        li.appendChild(meta);
        if (p.page) {
          var here = document.createElement('a');
          here.href = p.page;
          here.textContent = 'its card';
          li.appendChild(document.createTextNode(' · '));
          li.appendChild(here);
        }
        list.appendChild(li);
      });
      title.textContent = heading + ': ' + results.length + ' papers';
      panel.setAttribute('data-done', '1');
    }).catch(function (e) {
      title.textContent = heading + ': ' + e.message;
    });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var q = form.elements.q.value.trim();
    if (!q) return;
    panel.removeAttribute('data-done');
    show('Papers nearest to “' + q + '”', api + 'search?q=' + encodeURIComponent(q));
  });
  document.querySelectorAll('.vote button.similar').forEach(function (b) {
    b.hidden = false;
    b.addEventListener('click', function () {
      panel.removeAttribute('data-done');
      show('Papers like ' + b.getAttribute('data-id'), api + 'similar?id=' + encodeURIComponent(b.getAttribute('data-id')));
      panel.scrollIntoView();
    });
  });
  form.hidden = false;
})();
