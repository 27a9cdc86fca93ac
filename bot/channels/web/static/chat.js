/* The Maths Hub assistant's web chat.
 *
 * Everything shown is built with createElement and textContent: no message text, ours or
 * the applicant's, is ever parsed as HTML. The conversation lives on the server (a reload
 * or a second tab shows the same one); this script only draws it and sends messages.
 */
(function () {
  'use strict';

  var COMMANDS = ['start', 'help', 'eligibility', 'hub', 'apply', 'resume', 'status',
    'cancel', 'privacy', 'back', 'skip'];
  var COMMAND_RE = /(^|[\s(])(\/[a-z]+)(?=$|[\s.,;:)])/g;
  // "Question 7 — School details (about 16 more after this)": the bar's end is this
  // question plus those left on the applicant's path, so it never jumps backwards.
  var QUESTION_RE = /^Question (\d+)\b.*\((?:about (\d+) more after this|(1) more after this|(the last one))\)$/;
  var FALLBACK_ERROR = 'I could not reach the assistant. Check your connection and send that again.';

  var log = document.getElementById('log');
  var form = document.getElementById('composer');
  var input = document.getElementById('message');
  var typing = document.getElementById('typing');
  var notice = document.getElementById('notice');
  var closeButton = document.getElementById('close');
  var lastSeq = 0;
  var busy = false;
  var embedded = /[?&]embed(=|&|$)/.test(window.location.search);

  function messageId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    return String(Date.now()) + '-' + String(Math.random()).slice(2, 12);
  }

  function request(path, body) {
    var options = { credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body) {
      options.method = 'POST';
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error(data && typeof data.error === 'string' ? data.error : FALLBACK_ERROR);
        }
        return data;
      });
    }, function () {
      throw new Error(FALLBACK_ERROR);
    });
  }

  // -- drawing ---------------------------------------------------------------------------

  function appendInline(parent, text) {
    // Commands mentioned in a message ("/back for the previous question") are buttons.
    var at = 0;
    var match;
    COMMAND_RE.lastIndex = 0;
    while ((match = COMMAND_RE.exec(text)) !== null) {
      var command = match[2];
      if (COMMANDS.indexOf(command.slice(1)) === -1) {
        continue;
      }
      var start = match.index + match[1].length;
      parent.appendChild(document.createTextNode(text.slice(at, start)));
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'cmd';
      button.textContent = command;
      button.setAttribute('data-command', command);
      parent.appendChild(button);
      at = start + command.length;
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  function appendLines(parent, lines) {
    var paragraph = document.createElement('p');
    lines.forEach(function (line, index) {
      if (index > 0) {
        paragraph.appendChild(document.createElement('br'));
      }
      appendInline(paragraph, line);
    });
    parent.appendChild(paragraph);
  }

  function appendProgress(parent, line, match) {
    var wrapper = document.createElement('p');
    wrapper.className = 'progress';
    wrapper.appendChild(document.createTextNode(line));
    var bar = document.createElement('progress');
    var left = match[4] ? 0 : Number(match[2] || match[3]);
    bar.max = Number(match[1]) + left;
    bar.value = Number(match[1]);
    bar.setAttribute('aria-label', 'Question ' + match[1] + ', ' + left + ' more after it');
    wrapper.appendChild(bar);
    parent.appendChild(wrapper);
  }

  /* Paragraphs (blank lines), bulleted lists ("- "), numbered lists ("1. ") and line
   * breaks are kept; the form's "Question 7 — ... (about 16 more after this)" line gets a progress bar. */
  function formatText(parent, text) {
    var lines = text.split('\n');
    var plain = [];
    var list = null;
    var listType = '';

    function flushPlain() {
      if (plain.length) {
        appendLines(parent, plain);
        plain = [];
      }
    }
    function flushList() {
      list = null;
      listType = '';
    }

    lines.forEach(function (line) {
      var bullet = /^\s*[-•]\s+(.*)$/.exec(line);
      var numbered = /^\s*(\d+)[.)]\s+(.*)$/.exec(line);
      var question = QUESTION_RE.exec(line);
      if (!line.trim()) {
        flushPlain();
        flushList();
      } else if (question) {
        flushPlain();
        flushList();
        appendProgress(parent, line, question);
      } else if (bullet || numbered) {
        flushPlain();
        var type = bullet ? 'ul' : 'ol';
        if (!list || listType !== type) {
          list = document.createElement(type);
          listType = type;
          parent.appendChild(list);
        }
        var item = document.createElement('li');
        appendInline(item, bullet ? bullet[1] : numbered[2]);
        list.appendChild(item);
      } else {
        flushList();
        plain.push(line);
      }
    });
    flushPlain();
  }

  function drawMessage(entry) {
    var element = document.createElement('div');
    var mine = entry.role === 'user';
    element.className = 'msg ' + (mine ? 'msg-user' : 'msg-assistant');
    if (entry.seq) {
      element.setAttribute('data-seq', String(entry.seq));
    }
    if (entry.field) {
      element.setAttribute('data-field', entry.field);
    }
    var who = document.createElement('span');
    who.className = 'visually-hidden';
    who.textContent = mine ? 'You said: ' : 'Assistant: ';
    element.appendChild(who);
    if (mine) {
      element.appendChild(document.createTextNode(entry.text));
    } else {
      var body = document.createElement('div');
      body.className = 'body';
      formatText(body, entry.text || '');
      element.appendChild(body);
      if (entry.options && entry.options.length) {
        var group = document.createElement('div');
        group.className = 'options';
        group.setAttribute('role', 'group');
        group.setAttribute('aria-label', 'Choices');
        entry.options.forEach(function (option) {
          var button = document.createElement('button');
          button.type = 'button';
          button.className = 'option';
          button.textContent = option.label;
          button.addEventListener('click', function () {
            send(option.value, { label: option.label, field: entry.field || null, button: true });
          });
          group.appendChild(button);
        });
        element.appendChild(group);
      }
    }
    log.appendChild(element);
    return element;
  }

  /* Only the newest message's choices are live: older ones belong to questions that
   * have been answered (the server would refuse them anyway). */
  function refreshChoices() {
    var messages = log.querySelectorAll('.msg');
    var live = null;
    for (var i = messages.length - 1; i >= 0; i--) {
      if (messages[i].classList.contains('msg-user')) {
        break;
      }
      if (messages[i].querySelector('.options')) {
        live = messages[i];
        break;
      }
    }
    log.querySelectorAll('.options').forEach(function (group) {
      group.hidden = !live || group.parentNode !== live;
    });
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function render(messages) {
    messages.forEach(function (entry) {
      if (entry.seq && entry.seq <= lastSeq) {
        return;
      }
      drawMessage(entry);
      if (entry.seq) {
        lastSeq = Math.max(lastSeq, entry.seq);
      }
    });
    refreshChoices();
    scrollToEnd();
  }

  function clearLog() {
    while (log.firstChild) {
      log.removeChild(log.firstChild);
    }
    lastSeq = 0;
  }

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  // -- talking to the server ---------------------------------------------------------------

  function catchUp() {
    if (busy) {
      return Promise.resolve();
    }
    return request('api/history?after=' + lastSeq).then(function (data) {
      if (data.fresh) {
        clearLog();
      }
      render(data.messages || []);
    }, function (error) {
      showNotice(error.message);
    });
  }

  function send(text, extra) {
    if (busy) {
      return;
    }
    extra = extra || {};
    busy = true;
    showNotice('');
    var pending = drawMessage({ role: 'user', text: extra.label || text });
    pending.classList.add('pending');
    refreshChoices();
    log.querySelectorAll('.options').forEach(function (group) { group.hidden = true; });
    scrollToEnd();
    typing.hidden = false;
    request('api/message', {
      text: text,
      label: extra.label || null,
      field: extra.field || null,
      button: Boolean(extra.button),
      id: messageId(),
      after: lastSeq
    }).then(function (data) {
      pending.remove();
      if (data.reset) {
        clearLog();
      }
      render(data.messages || []);
    }, function (error) {
      pending.remove();
      refreshChoices();
      if (!extra.label && !input.value) {
        input.value = text;  // nothing typed is lost
      }
      showNotice(error.message);
    }).then(function () {
      busy = false;
      typing.hidden = true;
      if (!extra.keepFocus) {
        input.focus();
      }
    });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim() || busy) {
      return;
    }
    input.value = '';
    send(text);
  });

  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit'));
    }
  });

  document.addEventListener('click', function (event) {
    var target = event.target;
    if (target instanceof Element && target.matches('button[data-command]')) {
      send(target.getAttribute('data-command'));
    }
  });

  if (embedded) {
    document.documentElement.classList.add('embedded');
    closeButton.hidden = false;
    var closeFrame = function () {
      window.parent.postMessage({ type: 'mathshub-chat:close' }, '*');
    };
    closeButton.addEventListener('click', closeFrame);
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') {
        closeFrame();
      }
    });
  }

  // Another tab of this browser may have moved the conversation on.
  window.addEventListener('focus', catchUp);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') {
      catchUp();
    }
  });

  catchUp().then(function () {
    if (!embedded) {
      input.focus();
    }
  });
})();
