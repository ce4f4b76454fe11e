// Playground page behaviour that needs no server round trip: adding,
// removing and moving form rows, keeping sliders and number boxes in step,
// image previews, and the copy buttons. Everything else is htmx.
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

  // The page loads no remote image (CSP img-src 'self' data:): inline data
  // of a raster type is shown as a thumbnail, an http(s) URL gets a link
  // that opens it in a new tab. The same choice as views/helpers.go
  // thumbSrc and thumbHref (markdown.InlineImage, markdown.LinkableURL).
  function isInlineImage(u) {
    return /^data:image\/(png|gif|jpeg|webp|avif)(;[a-z0-9=.+-]+)*;base64,/i.test(u);
  }
  function isRemoteImage(u) {
    return /^https?:\/\/[^\s\/?#]+\S*$/i.test(u);
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

  // conversation.js copies a turn and keeps the add button the same way.
  window.playground = { copy: copyText, limitRows: updateAddButton };

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
      if (range) {
        range.setAttribute('data-unset', '');
        range.title = range.getAttribute('data-unset-title') || '';
      }
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

  // A message row shows the inputs of its role (tool: the call id;
  // assistant: tool calls and reasoning).
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (t instanceof HTMLSelectElement && t.hasAttribute('data-role-select')) {
      var row = t.closest('[data-row]');
      if (row) row.setAttribute('data-role', t.value);
    }
  });

  document.addEventListener('input', function (e) {
    var t = e.target;
    if (!(t instanceof HTMLInputElement)) return;
    var sync = t.getAttribute('data-sync');
    if (sync) {
      var other = document.getElementById(sync);
      if (other && (t.type === 'range' || t.value !== '')) other.value = t.value;
      // A slider moved, or a value typed, is set; a box emptied is not.
      var slider = t.type === 'range' ? t : other;
      if (slider && slider.type === 'range') {
        var set = t.type === 'range' || t.value !== '';
        if (set) slider.removeAttribute('data-unset'); else slider.setAttribute('data-unset', '');
        slider.title = set ? '' : slider.getAttribute('data-unset-title') || '';
      }
    }
    if (t.hasAttribute('data-image-url')) {
      var row = t.parentElement;
      var img = row && row.querySelector('[data-thumb]');
      var open = row && row.querySelector('[data-thumb-link]');
      var u = t.value.trim();
      if (img) {
        if (isInlineImage(u)) img.src = u; else img.removeAttribute('src');
        img.hidden = !isInlineImage(u);
      }
      if (open) {
        if (isRemoteImage(u)) open.href = u; else open.removeAttribute('href');
        open.hidden = !isRemoteImage(u);
      }
    }
  });
})();

// Runs: follow a run panel's event stream and fill it in. Text from the
// model is only ever set with textContent; the one HTML inserted is the
// server's rendered markdown ("md" events), which comes from goldmark with
// raw HTML and dangerous links disabled.
(function () {
  'use strict';

  var streams = {}; // run id or group URL -> {es, el}

  function $(root, sel) { return root.querySelector(sel); }

  function text(el, s) { el.textContent = s; }

  // closeDetached ends the streams of panels no longer on the page.
  function closeDetached() {
    Object.keys(streams).forEach(function (k) {
      if (!document.body.contains(streams[k].el)) { streams[k].es.close(); delete streams[k]; }
    });
  }

  // attach prepares a run panel and returns its handlers, one per event
  // name, each taking the event's parsed data.
  function attach(panel) {
    var choices = {};
    var state = $(panel, '[data-run-state]');
    var retryTimer = null;
    var h = { finished: false, panel: panel };

    function setState(s, cls) {
      text(state, s);
      state.className = 'state state-' + (cls || s);
    }
    h.setState = setState;

    // Never silent: from Run to the end the panel says what is happening,
    // with a live timer: sending, waiting for the first byte, then for the
    // first token, queued or in progress (background), thinking (with the
    // reasoning's token count), answering; stalled when nothing came for
    // a while (20 s, or the body's data-stall-after in ms).
    var progress = $(panel, '[data-progress]');
    var phase = 'sending', thinkTokens = 0, t0 = Date.now(), lastEvent = Date.now(), ticker = null;
    var labels = {
      sending: 'Sending the request…',
      waiting_byte: 'Waiting for the provider’s first byte…',
      waiting_token: 'Waiting for the first token…',
      queued: 'Queued at the provider…',
      in_progress: 'In progress at the provider…',
      thinking: 'Thinking…',
      answering: 'Answering…',
      tools: 'Writing a tool call…'
    };
    function stallAfter() {
      var v = parseInt(document.body.getAttribute('data-stall-after') || '', 10);
      return v > 0 ? v : 20000;
    }
    function tick() {
      if (!progress) return;
      var now = Date.now();
      var idle = now - lastEvent;
      var label = labels[phase] || phase;
      if (phase === 'thinking' && thinkTokens > 0) label = 'Thinking… ' + thinkTokens + (thinkTokens === 1 ? ' token' : ' tokens');
      // A background response may sit queued for long: not a stall.
      if (phase !== 'queued' && phase !== 'in_progress' && idle >= stallAfter()) {
        label = 'Stalled: nothing from the provider for ' + Math.floor(idle / 1000) + ' s';
        progress.setAttribute('data-phase', 'stalled');
      } else {
        progress.setAttribute('data-phase', phase);
      }
      text(progress, label + ' · ' + ((now - t0) / 1000).toFixed(1) + ' s');
    }
    function to(p) {
      lastEvent = Date.now();
      if (p && p !== phase) phase = p;
      tick();
    }
    function stopTicker() {
      if (ticker) { clearInterval(ticker); ticker = null; }
      if (progress) { progress.hidden = true; progress.removeAttribute('data-phase'); }
    }
    if (progress) { tick(); ticker = setInterval(tick, 100); }
    h.stopTicker = stopTicker;

    function choice(c) {
      if (choices[c]) return choices[c];
      var tpl = $(panel, 'template[data-tpl="choice"]');
      var node = tpl.content.firstElementChild.cloneNode(true);
      node.setAttribute('data-choice', String(c));
      node.setAttribute('data-testid', 'choice-' + c);
      $(panel, '[data-choices]').appendChild(node);
      var ch = {
        node: node,
        rendered: $(node, '[data-rendered]'),
        tail: $(node, '[data-tail]'),
        reasoning: $(node, '[data-reasoning]'),
        reasoningText: $(node, '[data-reasoning-text]'),
        refusal: $(node, '[data-refusal]'),
        tools: $(node, '[data-tools]'),
        toolNodes: {},
        lp: $(node, '[data-lp]'),
        lpToggle: $(node, '[data-lp-toggle]')
      };
      choices[c] = ch;
      var count = Object.keys(choices).length;
      if (count > 1) {
        Object.keys(choices).forEach(function (k) {
          var title = $(choices[k].node, '[data-choice-title]');
          text(title, 'Choice ' + k);
          title.hidden = false;
        });
      }
      return ch;
    }

    // A tool call's event carries its name and id when they change, and
    // its arguments as a delta to append ("a") or whole ("args": after
    // the provider replaced them, and pretty-printed in the final event).
    function tool(ch, d) {
      var n = ch.toolNodes[d.i];
      if (!n) {
        n = document.createElement('div');
        n.className = 'tool';
        n.setAttribute('data-testid', 'tool-call');
        var head = document.createElement('div');
        head.className = 'tool-head';
        var pre = document.createElement('pre');
        pre.className = 'code';
        n.appendChild(head);
        n.appendChild(pre);
        ch.tools.appendChild(n);
        ch.toolNodes[d.i] = n;
        n.callName = '';
        n.callId = '';
      }
      if (d.name !== undefined) n.callName = d.name;
      if (d.id !== undefined) n.callId = d.id;
      text(n.firstChild, 'Tool call: ' + (n.callName || '…') + (n.callId ? '  (' + n.callId + ')' : ''));
      if (d.args !== undefined) text(n.lastChild, d.args);
      if (d.a) n.lastChild.appendChild(document.createTextNode(d.a));
    }

    // showError shows a failure: the failure event's box as the server
    // rendered it (views.RunFailure, e.html), or a message of the page's
    // own (a lost connection). A retry wait counts down in place.
    function showError(e) {
      var box = $(panel, '[data-error]');
      if (retryTimer) { clearInterval(retryTimer); retryTimer = null; }
      box.hidden = false;
      box.textContent = '';
      if (e.html) {
        box.innerHTML = e.html;
      } else {
        var msg = document.createElement('p');
        msg.className = 'font-medium';
        text(msg, e.message || 'The run failed.');
        box.appendChild(msg);
        if (e.hint) {
          var hint = document.createElement('p');
          text(hint, e.hint);
          box.appendChild(hint);
        }
      }
      var wait = $(box, '[data-retry-now]');
      var left = wait && $(wait, '[data-retry-left]');
      if (left) {
        var n = parseInt(left.textContent, 10);
        retryTimer = setInterval(function () {
          n--;
          if (n > 0) {
            text(left, String(n));
          } else {
            text(wait, wait.getAttribute('data-retry-now'));
            clearInterval(retryTimer);
            retryTimer = null;
          }
        }, 1000);
      }
    }
    h.showError = showError;

    function showSummary(s) {
      // The checks and the metrics come rendered by the server, as the
      // history page shows them (views.RunChecks, views.RunMetrics).
      var checks = $(panel, '[data-checks]');
      if (checks) checks.innerHTML = s.checks_html || '';
      var labels = { completed: 'completed', failed: 'failed', stopped: 'stopped', interrupted: 'interrupted' };
      setState(labels[s.state] || s.state, s.state);
      var dl = $(panel, '[data-metrics]');
      dl.hidden = false;
      dl.innerHTML = s.metrics_html || '';
      // Tokens over time, drawn by the server (views.Timeline, SVG).
      var tl = $(panel, '[data-timeline]');
      if (tl) tl.innerHTML = s.timeline_html || '';
      Object.keys(choices).forEach(function (k) {
        var ch = choices[k];
        if (ch.reasoning && !ch.reasoning.hidden && s.reasoning_count) {
          text($(ch.reasoning, '[data-reasoning-count]'), s.reasoning_count);
        }
      });
      var stop = $(panel, '[data-stop]');
      if (stop) stop.disabled = true;
    }

    h.start = function (d) {
      to('waiting_byte');
      setState(d.background ? 'queued' : 'running', 'running');
      var stop = $(panel, '[data-stop]');
      if (d.background && stop) {
        text(stop, 'Cancel');
        stop.title = 'Cancel the background response (POST /responses/{id}/cancel)';
      }
    };
    h.meta = function (d) {
      text($(panel, '[data-run-meta]'), d.line || '');
      to(phase === 'sending' || phase === 'waiting_byte' ? 'waiting_token' : phase);
    };
    h.status = function (d) {
      if (d.status) setState(d.status.replace('_', ' '), 'running');
      to(d.status === 'queued' || d.status === 'in_progress' ? d.status : phase);
    };
    h.delta = function (d) {
      var ch = choice(d.c);
      if (d.t) {
        ch.tail.appendChild(document.createTextNode(d.t));
        answering(ch);
      }
      if (d.r) {
        if (ch.reasoning.hidden) {
          // The reasoning streams in view while the model thinks; it
          // folds once the answer starts.
          ch.reasoning.hidden = false;
          ch.reasoning.open = true;
        }
        ch.reasoningText.appendChild(document.createTextNode(d.r));
        if (d.rn) {
          thinkTokens = Math.max(thinkTokens, d.rn);
          text($(ch.reasoning, '[data-reasoning-count]'), d.rn + (d.rn === 1 ? ' token' : ' tokens') + ' so far');
        }
        to(phase === 'answering' ? phase : 'thinking');
      }
      if (d.x) {
        ch.refusal.hidden = false;
        ch.refusal.appendChild(document.createTextNode(d.x));
      }
    };
    // answering: the answer of a choice started: its reasoning folds.
    function answering(ch) {
      if (!ch.answered) {
        ch.answered = true;
        if (ch.reasoning && !ch.reasoning.hidden) ch.reasoning.open = false;
      }
      to('answering');
    }
    h.md = function (d) {
      var ch = choice(d.c);
      answering(ch);
      ch.rendered.insertAdjacentHTML('beforeend', d.h);
      text(ch.tail, d.tail);
    };
    var calls = [];
    // Token probabilities: each token shaded by its probability (lp-0,
    // unlikely, to lp-9, near certain; the legend in views/lp.templ says
    // so). A token is focusable: a tap, Enter or Space lists its
    // alternatives (lpOpen, below); hovering shows them as a title too.
    h.lp = function (d) {
      var ch = choice(d.c);
      if (!ch.lp) return;
      ch.lpToggle.hidden = false;
      var frag = document.createDocumentFragment();
      (d.toks || []).forEach(function (t) {
        var span = document.createElement('span');
        var p = Math.exp(t[1]);
        span.className = 'lp lp-' + Math.min(9, Math.max(0, Math.floor(p * 10)));
        span.setAttribute('data-testid', 'lp-token');
        span.setAttribute('tabindex', '0');
        span.setAttribute('role', 'button');
        span.setAttribute('aria-expanded', 'false');
        text(span, t[0]);
        var lines = [JSON.stringify(t[0]) + '  ' + lpPct(t[1])];
        (t[2] || []).forEach(function (a) { lines.push('  ' + JSON.stringify(a[0]) + '  ' + lpPct(a[1])); });
        span.title = lines.join('\n');
        span.lpToken = t;
        frag.appendChild(span);
      });
      ch.lp.appendChild(frag);
    };

    h.tool = function (d) {
      var ch = choice(d.c);
      tool(ch, d);
      // A tool call is the answer starting too: the reasoning folds.
      answering(ch);
      to('tools');
      if (d.final && d.c === 0 && d.id) calls[d.i] = { id: d.id, name: d.name };
    };

    // Once the run is over each answer can be copied: as the text the page
    // shows, or as markdown, as the model wrote it (GET
    // /runs/{id}/answer/{choice}, asked for on the first click only: a run
    // costs the page no request it did not ask for).
    function offerCopy() {
      var id = panel.id.replace(/^run-/, '');
      Object.keys(choices).forEach(function (k) {
        var ch = choices[k];
        var box = $(ch.node, '[data-answer-copy]');
        var answer = $(ch.node, '[data-answer]');
        if (!box || !answer || answer.textContent.trim() === '') return;
        box.hidden = false;
        box.addEventListener('click', function (e) {
          var b = e.target.closest('[data-copy-answer]');
          if (!b) return;
          if (b.getAttribute('data-copy-answer') !== 'md') {
            window.playground.copy(answer.innerText.trim(), b);
            return;
          }
          if (typeof ch.markdown === 'string') { window.playground.copy(ch.markdown, b); return; }
          fetch('/runs/' + encodeURIComponent(id) + '/answer/' + encodeURIComponent(k), { credentials: 'same-origin' })
            .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
            .then(function (md) { ch.markdown = md; window.playground.copy(md, b); })
            .catch(function () { text(b, 'Not available'); });
        });
      });
    }

    // After a completed answer: a box per tool call for its result, and
    // the buttons that carry the conversation on.
    function offerContinue(s) {
      var form = $(panel, '[data-continue]');
      if (!form || s.state !== 'completed') return;
      var box = $(form, '[data-results]');
      box.textContent = '';
      calls.forEach(function (c) {
        if (!c) return;
        var label = document.createElement('label');
        label.className = 'block text-sm';
        var span = document.createElement('span');
        span.className = 'label';
        text(span, 'Result of ' + c.name + ' (' + c.id + ')');
        var ta = document.createElement('textarea');
        ta.name = 'result.' + c.id;
        ta.rows = 2;
        ta.className = 'input mt-1 font-mono text-xs';
        ta.setAttribute('data-testid', 'tool-result');
        label.appendChild(span);
        label.appendChild(ta);
        box.appendChild(label);
      });
      var hasCalls = calls.filter(Boolean).length > 0;
      var send = $(form, '[data-send-results]');
      if (send) send.hidden = !hasCalls;
      // A stored Responses answer can be continued by its id.
      form.querySelectorAll('[data-continue-stored]').forEach(function (b) {
        var sends = b.hasAttribute('data-send-stored');
        b.hidden = !(s.response_id && s.stored) || (sends && !hasCalls) || (!sends && hasCalls);
      });
      form.hidden = false;
    }
    // A spoken answer (modalities: audio): its text is the transcript;
    // once the run is over the audio plays from the server (same origin,
    // as the CSP wants), or a note says why it was not kept.
    h.audio = function (d) {
      var ch = choice(d.c);
      answering(ch);
      var box = $(ch.node, '[data-audio-box]');
      box.hidden = false;
      if (d.note) {
        var note = $(box, '[data-audio-note]');
        note.hidden = false;
        text(note, 'Audio: ' + d.note + '.');
      }
      if (!d.ready) return;
      var player = $(box, '[data-audio-player]');
      player.textContent = '';
      var el = document.createElement('audio');
      el.controls = true;
      el.preload = 'metadata';
      el.setAttribute('data-testid', 'audio');
      el.title = d.format + ', ' + d.size;
      el.src = panel.getAttribute('data-audio') + String(Number(d.c));
      player.appendChild(el);
    };
    h.failure = function (d) { stopTicker(); showError(d); };
    // The done event is the run's outcome (run.Outcome, exact amounts)
    // with what views rendered of it: of it the panel reads only the
    // state, response_id and stored (to offer a next turn), and the
    // server's metrics_html, checks_html and reasoning_count. It formats
    // nothing of the outcome itself.
    h.done = function (d) {
      h.finished = true;
      stopTicker();
      if (runControl.panel === panel) runControl.idle();
      showSummary(d);
      offerContinue(d);
      offerCopy();
    };
    setState('running');
    return h;
  }

  var eventNames = ['start', 'meta', 'status', 'delta', 'md', 'tool', 'lp', 'audio', 'failure', 'done'];

  // deliver hands one event of a run to its panel; it reports whether the
  // run is over.
  function deliver(h, name, data) {
    if (!h[name]) return false;
    h[name](JSON.parse(data));
    return name === 'done';
  }

  function lostConnection(h) {
    h.stopTicker();
    h.showError({ message: 'Lost the connection to this run.', hint: 'It may have ended while the page was away; run again.' });
    h.setState('disconnected', 'failed');
    if (runControl.panel && runControl.panel === h.panel) runControl.idle();
  }

  // adopting, while set, takes the next panel follow() attaches instead of
  // letting it open an EventSource: the panel of a run whose events the
  // page already reads from the request that started it.
  var adopting = null;

  // follow opens a run panel's own event stream.
  function follow(panel) {
    var id = panel.id;
    if (!id || panel.getAttribute('data-following') === '1') return;
    panel.setAttribute('data-following', '1');
    closeDetached();
    Object.keys(streams).forEach(function (k) {
      if (k !== id && streams[k].single) { streams[k].es.close(); delete streams[k]; }
    });
    var h = attach(panel);
    if (panel.closest('#output') && !h.finished) runControl.running(panel);
    if (adopting) { adopting(panel, h); adopting = null; return; }
    listen(panel, h, 0);
  }

  // listen follows a panel's run with EventSource from after the event id
  // given; EventSource resumes by itself after that with Last-Event-ID.
  function listen(panel, h, after) {
    var id = panel.id;
    var url = panel.getAttribute('data-events');
    if (after > 0) url += (url.indexOf('?') < 0 ? '?' : '&') + 'after=' + after;
    var es = new EventSource(url);
    streams[id] = { es: es, el: panel, single: true };
    eventNames.forEach(function (name) {
      es.addEventListener(name, function (ev) {
        if (name === 'done') { es.close(); delete streams[id]; }
        deliver(h, name, ev.data);
      });
    });
    es.onerror = function () {
      // A transport error: EventSource reconnects by itself, sending
      // Last-Event-ID, unless the server answered that the run is gone.
      if (es.readyState === EventSource.CLOSED && !h.finished) lostConnection(h);
    };
  }

  // runControl: while a run of the playground is going, its Run button is
  // Stop, so a second click stops the run instead of starting a second,
  // unseen (and billed) one; it is Run again once the run is over or did
  // not start.
  var runControl = {
    panel: null,
    button: function () { return document.getElementById('run-button'); },
    set: function (state, label, panel) {
      var b = this.button();
      this.panel = panel || null;
      if (!b) return;
      b.disabled = state === 'starting';
      if (state) b.setAttribute('data-state', state); else b.removeAttribute('data-state');
      text(b, label);
      b.title = state === 'running' ? 'Stop this run (Esc)' : '';
    },
    starting: function () { this.set('starting', 'Starting…'); },
    running: function (panel) { this.set('running', 'Stop', panel); },
    idle: function () { this.set('', 'Run'); },
    // stop stops the run the button follows; it reports whether there was one.
    stop: function () {
      var stop = this.panel && $(this.panel, '[data-stop]');
      if (!stop || stop.disabled) return false;
      stop.click();
      return true;
    }
  };

  // startRun is the Run button: one request starts the run and, when it
  // starts, streams it (the panel first, as an event named "panel"), so
  // the first token waits for no second request. A form with errors, a
  // run that cannot start or a refused request is answered with HTML,
  // swapped as htmx would. A stream that breaks resumes with EventSource.
  function startRun(button) {
    var state = button.getAttribute('data-state');
    if (state === 'starting') return;
    if (state === 'running') {
      if (!runControl.stop()) runControl.idle();
      return;
    }
    var form = document.getElementById('draft');
    var out = document.getElementById('output');
    var body = new URLSearchParams(new FormData(form));
    if (tooLarge(body)) return;
    runControl.starting();
    var headers = {};
    try { headers = JSON.parse(document.body.getAttribute('hx-headers') || '{}'); } catch (err) { headers = {}; }
    headers['HX-Request'] = 'true';
    headers['Accept'] = 'text/event-stream, text/html';
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    fetch(button.getAttribute('data-start-run'), {
      method: 'POST', headers: headers, credentials: 'same-origin', body: body
    }).then(function (resp) {
      var type = resp.headers.get('Content-Type') || '';
      if (resp.ok && type.indexOf('text/event-stream') === 0) return readRun(resp, out);
      runControl.idle();
      return resp.text().then(function (html) {
        var swap = resp.ok && resp.headers.get('HX-Reswap') !== 'none' ? 'innerHTML' : 'none';
        htmx.swap(out, html, { swapStyle: swap, swapDelay: 0, settleDelay: 0 });
        reveal(out);
      });
    }).catch(function () {
      runControl.idle();
      unreachable(out);
      reveal(out);
    });
  }

  // reveal brings the output into view after Run where it sits below the
  // form (narrower than lg: a phone, a tablet) and is out of sight.
  function reveal(out) {
    if (!window.matchMedia('(max-width: 1023px)').matches) return;
    var top = out.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) out.scrollIntoView({ block: 'start' });
  }

  // tooLarge reports whether a form's fields, URL-encoded as they are
  // sent, are over the server's body limit, and if so shows the server's
  // own message. Such a request is not sent: the server would refuse it,
  // possibly by closing the connection while the browser still uploads,
  // which reads as "could not reach the server". The form stays as it is.
  function tooLarge(fields) {
    var limit = parseInt(document.body.getAttribute('data-body-limit') || '0', 10);
    if (!(limit > 0)) return false;
    // Encoding writes at most 9 characters for one of the string's (a
    // three-byte character as %XX%XX%XX): skip it for small forms.
    var raw = 0;
    fields.forEach(function (v, k) { raw += k.length + String(v).length + 2; });
    if (raw * 9 <= limit) return false;
    if (new URLSearchParams(fields).toString().length <= limit) return false;
    var tpl = document.getElementById('too-large');
    var old = document.getElementById('toast');
    if (tpl && old) {
      var toast = tpl.content.firstElementChild.cloneNode(true);
      toast.removeAttribute('hx-swap-oob');
      old.replaceWith(toast);
    }
    return true;
  }

  function unreachable(out) {
    var p = document.createElement('p');
    p.className = 'card text-sm text-red-800 dark:text-red-300';
    p.setAttribute('role', 'alert');
    p.setAttribute('data-testid', 'run-not-started');
    text(p, 'Could not reach the server: the run did not start. Your form is as you left it.');
    out.textContent = '';
    out.appendChild(p);
  }

  // readRun reads a run's event stream from a fetch response.
  function readRun(resp, out) {
    var reader = resp.body.getReader();
    var decoder = new TextDecoder();
    var buf = '';
    var panel = null, h = null, last = 0, over = false;
    function event(block) {
      var name = 'message', data = [], id = null;
      block.split('\n').forEach(function (line) {
        if (line === '' || line.charAt(0) === ':') return;
        var colon = line.indexOf(':');
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      });
      if (id !== null) last = parseInt(id, 10) || last;
      if (data.length === 0) return;
      if (name === 'panel') {
        adopting = function (el, handlers) { panel = el; h = handlers; };
        htmx.swap(out, data.join('\n'), { swapStyle: 'innerHTML', swapDelay: 0, settleDelay: 0 });
        reveal(out);
        // htmx:load may already have run follow() during the swap.
        var swapped = out.querySelector('[data-run][data-events]');
        if (!panel && swapped) follow(swapped);
        adopting = null;
        if (panel) streams[panel.id] = { es: { close: function () { over = true; reader.cancel(); } }, el: panel, single: true };
        return;
      }
      if (h && deliver(h, name, data.join('\n'))) {
        over = true;
        delete streams[panel.id];
        reader.cancel();
      }
    }
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) return ended();
        // The server ends lines with \n alone (web/sse's encoder).
        buf += decoder.decode(r.value, { stream: true });
        var i;
        while (!over && (i = buf.indexOf('\n\n')) >= 0) {
          var block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          event(block);
        }
        if (!over) return pump();
      });
    }
    function ended() {
      if (over) return;
      // A stream that ends before the run panel has not started a run the
      // page can follow.
      if (!panel) { runControl.idle(); unreachable(out); return; }
      if (h.finished || !document.body.contains(panel)) return;
      // The stream broke before the run's end: follow it from where it
      // stopped, as a reconnecting EventSource would.
      listen(panel, h, last);
    }
    return pump().catch(ended);
  }

  // followGroup opens one event stream for a comparison's panes: each
  // event is {"p": pane, "d": data}.
  function followGroup(box) {
    if (box.getAttribute('data-following') === '1') return;
    box.setAttribute('data-following', '1');
    closeDetached();
    var url = box.getAttribute('data-group-events');
    var panes = {};
    box.querySelectorAll('[data-group-pane]').forEach(function (panel) {
      panes[panel.getAttribute('data-group-pane')] = attach(panel);
    });
    var count = Object.keys(panes).length;
    if (count === 0) return;
    var over = {};
    var total = box.querySelector('[data-total]');
    var running = box.querySelector('[data-running]');
    var chart = box.querySelector('[data-group-chart]');
    // How many panes still run, counted down as each ends.
    function countRunning() {
      if (!running) return;
      var left = count - Object.keys(over).length;
      text(running, left > 0 ? left + ' of ' + count + (count === 1 ? ' pane' : ' panes') + ' running' : 'All ' + count + (count === 1 ? ' pane' : ' panes') + ' done');
    }
    countRunning();
    var es = new EventSource(url);
    streams[url] = { es: es, el: box };
    eventNames.forEach(function (name) {
      es.addEventListener(name, function (ev) {
        var m = JSON.parse(ev.data);
        var h = panes[String(m.p)];
        if (!h) return;
        h[name](m.d);
        if (name === 'done') {
          // The total so far comes written by the server (views.GroupTotal).
          over[m.p] = true;
          if (total && typeof m.total === 'string') text(total, m.total);
          countRunning();
          // Every pane over: their lines on one chart, drawn by the server.
          if (chart && typeof m.chart === 'string') chart.innerHTML = m.chart;
          if (Object.keys(over).length === count) { es.close(); delete streams[url]; }
        }
      });
    });
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED) {
        Object.keys(panes).forEach(function (p) {
          var h = panes[p];
          if (!h.finished) {
            h.stopTicker();
            h.showError({ message: 'Lost the connection to this run.', hint: 'It may have ended while the page was away; see the history.' });
            h.setState('disconnected', 'failed');
          }
        });
      }
    };
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches('[data-run][data-events]')) follow(root);
    root.querySelectorAll('[data-run][data-events]').forEach(follow);
    if (root.matches && root.matches('[data-group-events]')) followGroup(root);
    root.querySelectorAll('[data-group-events]').forEach(followGroup);
  }

  document.addEventListener('DOMContentLoaded', function () { scan(document); });
  document.addEventListener('htmx:load', function (e) { scan(e.target); });
  // Run all: the outputs come into view (they sit under the panes).
  document.addEventListener('htmx:afterSwap', function (e) {
    var t = e.detail && e.detail.target;
    if (!t || t.id !== 'compare-output') return;
    var runs = t.querySelector('[data-group-events]');
    if (!runs) return;
    var top = runs.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) runs.scrollIntoView({ block: 'start' });
  });
  // Every form htmx sends (previews, compare, settings) is checked against
  // the body limit first.
  document.addEventListener('htmx:configRequest', function (e) {
    if (e.detail.verb !== 'get' && e.detail.formData && tooLarge(e.detail.formData)) e.preventDefault();
  });

  // The token-probability view of a choice opens and closes; a token's
  // alternatives open in the box under it (a tap, or Enter or Space on the
  // focused token) and close with Esc, a second tap or a tap elsewhere.
  function lpPct(logprob) { return (Math.exp(logprob) * 100).toFixed(1) + '%'; }
  var lpShown = null;
  function lpClose() {
    if (!lpShown) return;
    var pop = lpShown.closest('[data-lp-area]').querySelector('[data-lp-pop]');
    pop.hidden = true;
    lpShown.setAttribute('aria-expanded', 'false');
    lpShown = null;
  }
  function lpRow(list, tok, logprob, chosen) {
    var li = document.createElement('li');
    li.className = chosen ? 'lp-alt lp-alt-chosen' : 'lp-alt';
    li.setAttribute('data-testid', 'lp-alt');
    var t = document.createElement('code');
    text(t, JSON.stringify(tok));
    var bar = document.createElement('span');
    bar.className = 'lp-bar';
    var fill = document.createElement('span');
    fill.className = 'lp-bar-fill';
    fill.style.width = Math.max(1, Math.round(Math.exp(logprob) * 100)) + '%';
    bar.appendChild(fill);
    var p = document.createElement('span');
    p.className = 'lp-alt-p';
    text(p, lpPct(logprob));
    li.append(t, bar, p);
    list.appendChild(li);
  }
  function lpOpen(tok) {
    var again = lpShown === tok;
    lpClose();
    // A live token carries its row (h.lp); a stored one has it as JSON.
    if (!tok.lpToken && tok.hasAttribute('data-lp-token')) {
      try { tok.lpToken = JSON.parse(tok.getAttribute('data-lp-token')); } catch (err) { tok.lpToken = null; }
    }
    if (again || !tok.lpToken) return;
    var area = tok.closest('[data-lp-area]');
    var pop = area && area.querySelector('[data-lp-pop]');
    if (!pop) return;
    var t = tok.lpToken;
    var list = document.createElement('ul');
    lpRow(list, t[0], t[1], true);
    var seen = false;
    (t[2] || []).forEach(function (a) {
      if (a[0] === t[0] && !seen) { seen = true; return; }
      lpRow(list, a[0], a[1], false);
    });
    var head = document.createElement('p');
    head.className = 'lp-pop-head';
    text(head, (t[2] || []).length ? 'Chosen, then the alternatives:' : 'Chosen (no alternatives were asked for):');
    pop.replaceChildren(head, list);
    pop.hidden = false;
    tok.setAttribute('aria-expanded', 'true');
    lpShown = tok;
    pop.style.top = (tok.offsetTop + tok.offsetHeight + 4) + 'px';
    pop.style.left = Math.max(0, Math.min(tok.offsetLeft, area.clientWidth - pop.offsetWidth)) + 'px';
  }
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var tok = t.closest('[data-lp] .lp');
    if (tok) { lpOpen(tok); return; }
    if (!t.closest('[data-lp-pop]')) lpClose();
    var b = t.closest('[data-lp-toggle]');
    if (!b) return;
    var view = b.parentElement && b.parentElement.querySelector('[data-lp-box]');
    if (!view) return;
    view.hidden = !view.hidden;
    b.setAttribute('aria-expanded', view.hidden ? 'false' : 'true');
  });
  document.addEventListener('keydown', function (e) {
    // Esc with alternatives open closes them and nothing else (the run's
    // Esc, registered after this, does not stop the run).
    if (e.key === 'Escape' && lpShown) { var tok = lpShown; lpClose(); tok.focus(); e.stopImmediatePropagation(); return; }
    if ((e.key !== 'Enter' && e.key !== ' ') || e.ctrlKey || e.metaKey) return;
    var t = e.target;
    if (!(t instanceof Element) || !t.matches('[data-lp] .lp')) return;
    e.preventDefault();
    lpOpen(t);
  });

  // Code boxes (the playground's code panel, a stored run's): a tab shows
  // its language's code and the box's Copy button copies it; the choice
  // is kept per browser and applied again after each preview redraws the
  // panel.
  function showCode(box, lang) {
    if (!box.querySelector('[data-code-pane="' + CSS.escape(lang) + '"]')) return;
    box.querySelectorAll('[data-code-tab]').forEach(function (b) {
      var on = b.getAttribute('data-code-tab') === lang;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.classList.toggle('tab-active', on);
    });
    var shown = null;
    box.querySelectorAll('[data-code-pane]').forEach(function (p) {
      p.hidden = p.getAttribute('data-code-pane') !== lang;
      // The view Show template hides (the template's, or the sent one's)
      // is not what Copy copies.
      if (!p.hidden && !p.closest('[data-sent-view][hidden], [data-template-view][hidden]')) shown = p.querySelector('code[id]');
    });
    var copy = box.querySelector('[data-copy]');
    if (copy && shown) copy.setAttribute('data-copy', shown.id);
  }
  function savedCode() { try { return localStorage.getItem('code-lang') || ''; } catch (err) { return ''; } }
  function showSavedCode() {
    var lang = savedCode();
    if (lang) document.querySelectorAll('[data-code-box]').forEach(function (box) { showCode(box, lang); });
  }
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var tab = t.closest('[data-code-tab]');
    var box = tab && tab.closest('[data-code-box]');
    if (!box) return;
    var lang = tab.getAttribute('data-code-tab');
    try { localStorage.setItem('code-lang', lang); } catch (err) { /* private mode */ }
    showCode(box, lang);
  });
  document.addEventListener('htmx:afterSettle', showSavedCode);
  document.addEventListener('DOMContentLoaded', showSavedCode);

  // Show template: the code panel shows the draft's template (its
  // {{variables}} as written, never sent) instead of the request filled
  // in; the choice holds on this page across the previews that redraw it.
  var templateShown = false;
  function showTemplate() {
    document.querySelectorAll('[data-code-box]').forEach(function (box) {
      var tmpl = box.querySelector('[data-template-view]');
      var sent = box.querySelector('[data-sent-view]');
      var b = box.querySelector('[data-show-template]');
      if (!tmpl || !sent || !b) return;
      tmpl.hidden = !templateShown;
      sent.hidden = templateShown;
      b.setAttribute('aria-pressed', templateShown ? 'true' : 'false');
      b.textContent = templateShown ? 'Show what is sent' : 'Show template';
      showCode(box, savedCode() || 'curl');
    });
  }
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element) || !t.closest('[data-show-template]')) return;
    templateShown = !templateShown;
    showTemplate();
  });
  document.addEventListener('htmx:afterSettle', showTemplate);

  // Tabs of a run panel.
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var tab = t.closest('[data-tab]');
    if (!tab) return;
    var panel = tab.closest('[data-run]');
    if (!panel) return;
    var name = tab.getAttribute('data-tab');
    panel.querySelectorAll('[data-tab]').forEach(function (b) {
      var on = b === tab;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.classList.toggle('tab-active', on);
    });
    panel.querySelectorAll('[data-pane]').forEach(function (p) {
      p.hidden = p.getAttribute('data-pane') !== name;
    });
  });

  // Compare panes: a parameter that differs from the base form's value is
  // an override (highlighted); "Inherit" puts the base value back.
  function markOverride(input) {
    var box = input.closest('[data-param]');
    if (!box || !input.hasAttribute('data-inherited')) return;
    var on = input.value !== input.getAttribute('data-inherited');
    box.classList.toggle('param-override', on);
    var badge = box.querySelector('[data-param-badge]');
    if (badge) text(badge, on ? 'override' : 'inherited');
  }
  document.addEventListener('input', function (e) {
    if (e.target instanceof Element && e.target.hasAttribute('data-inherited')) markOverride(e.target);
  });
  document.addEventListener('change', function (e) {
    if (e.target instanceof Element && e.target.hasAttribute('data-inherited')) markOverride(e.target);
  });
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var b = t.closest('[data-reset-inherited]');
    if (!b) return;
    e.preventDefault();
    var input = document.getElementById(b.getAttribute('data-reset-inherited'));
    if (!input) return;
    input.value = input.getAttribute('data-inherited');
    markOverride(input);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });

  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('[data-start-run]');
    if (b) { e.preventDefault(); startRun(b); }
  });

  // Keyboard: Ctrl/Cmd+Enter runs (Compare: Run all), wherever the focus
  // is; Esc stops the run in view; ? lists the shortcuts. Enter alone
  // never submits the form natively.
  var shortcuts = [
    ['Ctrl+Enter / ⌘+Enter', 'Run (on Compare: Run all)'],
    ['Esc', 'Stop the run in view'],
    ['?', 'Show these shortcuts']
  ];
  function typing(el) {
    return el instanceof Element && (el.closest('input, textarea, select, [contenteditable="true"]') !== null);
  }
  function inView(el) {
    var r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight && r.width > 0;
  }
  // stopInView stops the runs whose panels are on the screen (the
  // playground's run even when scrolled away); it reports whether it
  // stopped one.
  function stopInView() {
    if (runControl.stop()) return true;
    var stopped = false;
    document.querySelectorAll('[data-run] [data-stop]').forEach(function (b) {
      if (!b.disabled && inView(b.closest('[data-run]'))) { b.click(); stopped = true; }
    });
    return stopped;
  }
  function showShortcuts() {
    var d = document.getElementById('shortcuts');
    if (!d) {
      d = document.createElement('dialog');
      d.id = 'shortcuts';
      d.className = 'shortcuts';
      d.setAttribute('data-testid', 'shortcuts');
      var h = document.createElement('h2');
      h.className = 'mb-2 text-sm font-semibold';
      text(h, 'Keyboard shortcuts');
      d.appendChild(h);
      var dl = document.createElement('dl');
      dl.className = 'grid grid-cols-[auto_1fr] items-baseline gap-x-3 gap-y-2';
      shortcuts.forEach(function (s) {
        var dt = document.createElement('dt');
        var kbd = document.createElement('kbd');
        text(kbd, s[0]);
        dt.appendChild(kbd);
        var dd = document.createElement('dd');
        text(dd, s[1]);
        dl.appendChild(dt);
        dl.appendChild(dd);
      });
      d.appendChild(dl);
      var close = document.createElement('button');
      close.type = 'button';
      close.className = 'btn-secondary mt-3';
      text(close, 'Close');
      close.addEventListener('click', function () { d.close(); });
      d.appendChild(close);
      document.body.appendChild(d);
    }
    if (!d.open) d.showModal();
  }
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      var btn = document.getElementById('run-button') || document.querySelector('[data-testid="run-all"]');
      // A run going: the button is Stop, and Ctrl+Enter does not stop it.
      if (btn && !btn.disabled && !btn.hasAttribute('data-state')) {
        e.preventDefault();
        btn.click();
      }
      return;
    }
    if (e.key === 'Escape') {
      var open = document.getElementById('shortcuts');
      if (open && open.open) return; // the dialog closes itself
      if (stopInView()) e.preventDefault();
      return;
    }
    if (e.key === '?' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)) {
      e.preventDefault();
      showShortcuts();
    }
  });
  document.addEventListener('submit', function (e) {
    if (e.target && e.target.id === 'draft') e.preventDefault();
  });

  // A field that needs attention is never hidden: the box it is in (the
  // Advanced parameters) opens when its error shows, its name in the
  // error summary leads to it, and "Clear this value" empties it.
  function openErrored(root) {
    (root || document).querySelectorAll('details:not([open]) .field-error').forEach(function (p) {
      if (p.textContent.trim() !== '') p.closest('details').open = true;
    });
  }
  document.addEventListener('htmx:afterSettle', function () { openErrored(document.getElementById('draft')); });
  function fieldBox(name) {
    var form = document.getElementById('draft');
    return form && form.querySelector('[data-field="' + CSS.escape(name) + '"]');
  }
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var go = t.closest('[data-goto-field]');
    if (go) {
      var box = fieldBox(go.getAttribute('data-goto-field'));
      if (!box) return;
      e.preventDefault();
      var d = box.closest('details');
      if (d) d.open = true;
      box.scrollIntoView({ block: 'center' });
      var input = box.querySelector('input:not([type="hidden"]), textarea, select');
      if (input) input.focus({ preventScroll: true });
      return;
    }
    var clear = t.closest('[data-clear-field]');
    if (!clear) return;
    e.preventDefault();
    var field = fieldBox(clear.getAttribute('data-clear-field'));
    if (!field) return;
    // Rows (stop sequences, images, tools …) are removed; a single input
    // is emptied; a slider rests unset; a checkbox keeps its hidden value.
    var rows = field.querySelectorAll('[data-row]');
    rows.forEach(function (r) { if (!r.closest('template')) r.remove(); });
    field.querySelectorAll('input, textarea, select').forEach(function (el) {
      if (el.closest('template') || el.type === 'hidden' || el.type === 'checkbox') return;
      if (el.type === 'range') { el.setAttribute('data-unset', ''); return; }
      if (el instanceof HTMLSelectElement) { el.value = ''; return; }
      el.value = '';
    });
    var form = document.getElementById('draft');
    // Its rows gone, a row can be added again.
    var add = field.querySelector('[data-add-row]');
    if (add) add.disabled = false;
    form.dispatchEvent(new Event('input', { bubbles: true }));
  });
})();
