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
