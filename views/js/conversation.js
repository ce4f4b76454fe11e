// The conversation's transcript (views/conversation.templ). Its turns are
// the messages rows the form posts, so every action here changes those
// rows and tells htmx the form changed: the curl follows what is shown.
// Adding, moving and deleting a turn are app.js's row buttons.
(function () {
  'use strict';

  function changed(el) {
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }

  // The add button of a field is disabled once it holds its most rows.
  function limitRows(name) { window.playground.limitRows(name); }

  // plain is a turn's markdown as text: the markup goes, the words stay
  // (code keeps its text, a link its label, a list its items).
  function plain(md) {
    return md
      .replace(/^\s*(```|~~~).*$\n?/gm, '')
      .replace(/^\s{0,3}#{1,6}\s+/gm, '')
      .replace(/^\s{0,3}>\s?/gm, '')
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
      .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
      .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\*)/g, '$1$2')
      .replace(/(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1$2')
      .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1')
      .replace(/`([^`\n]+)`/g, '$1');
  }

  function run() {
    var b = document.getElementById('run-button');
    // A run going on is not stopped by a regenerate: the rows are cut,
    // and Run sends them once that run is over.
    if (b && !b.getAttribute('data-state')) b.click();
  }

  // regenerate cuts the conversation after a turn and runs it: an answer
  // is asked again (it goes too); any other turn stays, the last one sent.
  function regenerate(row) {
    var list = row.parentElement;
    var keep = row.getAttribute('data-role') === 'assistant' ? row.previousElementSibling : row;
    while (list.lastElementChild && list.lastElementChild !== keep) list.lastElementChild.remove();
    limitRows(list.id.slice(5));
    changed(list);
    run();
  }

  // newConversation keeps the system turns and starts one empty user turn;
  // a stored response the conversation went on from is forgotten.
  function newConversation(name) {
    var list = document.getElementById('rows-' + name);
    var tpl = document.getElementById('tpl-' + name);
    if (!list || !tpl) return;
    Array.prototype.slice.call(list.children).forEach(function (r) {
      var role = r.getAttribute('data-role');
      if (role !== 'system' && role !== 'developer') r.remove();
    });
    list.appendChild(tpl.content.cloneNode(true));
    document.querySelectorAll('[data-conversation-reset]').forEach(function (el) { el.value = ''; });
    limitRows(name);
    var box = list.lastElementChild.querySelector('[data-turn-text]');
    if (box) box.focus();
    changed(list);
  }

  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var row = t.closest('[data-row]');
    var box = row && row.querySelector('[data-turn-text]');

    if (t.closest('[data-edit-turn]') && box) {
      e.preventDefault();
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
      return;
    }
    var copy = t.closest('[data-copy-turn]');
    if (copy && box) {
      e.preventDefault();
      var md = copy.getAttribute('data-copy-turn') === 'markdown';
      window.playground.copy(md ? box.value : plain(box.value), copy);
      return;
    }
    if (t.closest('[data-regenerate]') && row) {
      e.preventDefault();
      regenerate(row);
      return;
    }
    var fresh = t.closest('[data-new-conversation]');
    if (fresh) {
      e.preventDefault();
      newConversation(fresh.getAttribute('data-new-conversation'));
    }
  });
})();
