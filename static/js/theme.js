// theme.js picks the light or dark theme before the page is drawn: it is
// loaded in <head> without defer, so the class is on <html> before the
// first paint. A choice made with the header's toggle is kept per browser
// (localStorage "theme": "light" or "dark"); without one the page follows
// the system's prefers-color-scheme, also when it changes.
(function () {
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  function stored() {
    try { return localStorage.getItem('theme'); } catch (e) { return null; }
  }
  function apply() {
    var t = stored();
    var dark = t === 'dark' || (t !== 'light' && !!media && media.matches);
    root.classList.toggle('dark', dark);
    var b = document.querySelector('[data-theme-toggle]');
    if (b) b.setAttribute('aria-pressed', dark ? 'true' : 'false');
  }
  apply();
  if (media && media.addEventListener) media.addEventListener('change', apply);
  document.addEventListener('DOMContentLoaded', apply);
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-theme-toggle]');
    if (!b) return;
    var next = root.classList.contains('dark') ? 'light' : 'dark';
    try { localStorage.setItem('theme', next); } catch (err) { /* private mode: this page only */ }
    root.classList.toggle('dark', next === 'dark');
    b.setAttribute('aria-pressed', next === 'dark' ? 'true' : 'false');
  });
})();
