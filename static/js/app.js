// Playground page behaviour that needs no server round trip: adding,
// removing and moving form rows, keeping sliders and number boxes in step,
// image thumbnails, and the copy buttons. Everything else is htmx.
(function () {
  'use strict';

  // Tell htmx (listening for "input" on the form) that the form changed.
  function changed(el) {
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }

  function updateAddButton(name) {
    var addButton = document.querySelector('[data-add-row="' + name + '"]');
    var rows = document.getElementById('rows-' + name);
    if (addButton === null || rows === null) return;
    var max = parseInt(addButton.getAttribute('data-max') || '0', 10);
    addButton.disabled = max > 0 && rows.children.length >= max;
  }

  function isImageURL(u) {
    return /^https?:\/\/\S+$/i.test(u) || /^data:image\/[a-z0-9.+-]+(;[a-z0-9=.+-]+)*;base64,/i.test(u);
  }

  function copyText(text, button) {
    var done = function () {
      var old = button.textContent;
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'fixed -left-[9999px] top-0';
    document.body.appendChild(ta);
    ta.select();
    try { document.execCommand('copy'); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(ta);
  }

  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;

    var add = t.closest('[data-add-row]');
    if (add) {
      e.preventDefault();
      var name = add.getAttribute('data-add-row');
      var tpl = document.getElementById('tpl-' + name);
      var rows = document.getElementById('rows-' + name);
      if (!tpl || !rows || add.disabled) return;
      rows.appendChild(tpl.content.cloneNode(true));
      updateAddButton(name);
      var input = rows.lastElementChild && rows.lastElementChild.querySelector('textarea, input');
      if (input) input.focus();
      changed(rows);
      return;
    }

    var rm = t.closest('[data-remove-row]');
    if (rm) {
      e.preventDefault();
      var row = rm.closest('[data-row]');
      if (!row) return;
      var container = row.parentElement;
      row.remove();
      if (container && container.id.indexOf('rows-') === 0) updateAddButton(container.id.slice(5));
      changed(container || document.body);
      return;
    }

    var mv = t.closest('[data-move-row]');
    if (mv) {
      e.preventDefault();
      var r = mv.closest('[data-row]');
      if (!r) return;
      if (mv.getAttribute('data-move-row') === '-1' && r.previousElementSibling) {
        r.parentElement.insertBefore(r, r.previousElementSibling);
      } else if (mv.getAttribute('data-move-row') === '1' && r.nextElementSibling) {
        r.parentElement.insertBefore(r.nextElementSibling, r);
      }
      changed(r);
      return;
    }

    var reset = t.closest('[data-reset]');
    if (reset) {
      e.preventDefault();
      var box = document.getElementById(reset.getAttribute('data-reset'));
      if (!box) return;
      box.value = '';
      var range = document.getElementById(box.id + '-range');
      if (range && reset.getAttribute('data-default') !== '') range.value = reset.getAttribute('data-default');
      changed(box);
      return;
    }

    var copy = t.closest('[data-copy]');
    if (copy) {
      e.preventDefault();
      var src = document.getElementById(copy.getAttribute('data-copy'));
      if (src) copyText(src.textContent, copy);
    }
  });

  document.addEventListener('input', function (e) {
    var t = e.target;
    if (!(t instanceof HTMLInputElement)) return;
    var sync = t.getAttribute('data-sync');
    if (sync) {
      var other = document.getElementById(sync);
      if (other && (t.type === 'range' || t.value !== '')) other.value = t.value;
    }
    if (t.hasAttribute('data-image-url')) {
      var img = t.parentElement && t.parentElement.querySelector('[data-thumb]');
      if (img) {
        var u = t.value.trim();
        if (isImageURL(u)) {
          img.src = u;
          img.hidden = false;
        } else {
          img.removeAttribute('src');
          img.hidden = true;
        }
      }
    }
  });
})();
