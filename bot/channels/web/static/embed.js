/* The Maths Hub assistant, embedded in a hub's own website with one tag:
 *
 *   <script src="https://ASSISTANT-ADDRESS/embed.js" async></script>
 *
 * It adds a chat button in the corner of the page; the button opens the chat in a frame
 * served by the assistant (which only the sites in WEB_ALLOWED_ORIGINS may frame). All
 * styling is set from here, so the hub's own stylesheet is left alone.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  if (!script || window.__mathsHubChat) {
    return;
  }
  window.__mathsHubChat = true;
  var base = new URL(script.src, window.location.href);
  var origin = base.origin;
  var chatUrl = new URL('./?embed=1', base).href;
  var label = script.getAttribute('data-label') || 'Ask the Maths Hub assistant';

  function style(element, rules) {
    Object.keys(rules).forEach(function (name) {
      element.style.setProperty(name, rules[name]);
    });
  }

  var button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'mathshub-chat-frame');
  button.setAttribute('data-mathshub-chat', 'open');
  style(button, {
    position: 'fixed', right: '1rem', bottom: '1rem', 'z-index': '2147483000',
    padding: '0.75rem 1.1rem', 'border-radius': '2rem', border: '2px solid #ffffff',
    background: '#1d4f91', color: '#ffffff', font: '600 1rem system-ui, sans-serif',
    cursor: 'pointer', 'box-shadow': '0 2px 8px rgba(0,0,0,0.35)'
  });

  var frame = null;

  function addFocusStyle(element) {
    element.addEventListener('focus', function () {
      style(element, { outline: '3px solid #ffdd00', 'outline-offset': '2px' });
    });
    element.addEventListener('blur', function () {
      element.style.removeProperty('outline');
    });
  }

  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.id = 'mathshub-chat-frame';
      frame.title = 'Maths Hub assistant chat';
      frame.src = chatUrl;
      style(frame, {
        position: 'fixed', right: '1rem', bottom: '4.5rem', 'z-index': '2147483000',
        width: 'min(26rem, calc(100vw - 2rem))', height: 'min(40rem, calc(100vh - 6rem))',
        border: '1px solid #6f777b', 'border-radius': '0.75rem', background: '#ffffff',
        'box-shadow': '0 4px 16px rgba(0,0,0,0.3)'
      });
      document.body.appendChild(frame);
    }
    frame.hidden = false;
    frame.style.display = 'block';
    button.setAttribute('aria-expanded', 'true');
    frame.focus();
  }

  function close() {
    if (frame) {
      frame.style.display = 'none';
    }
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }

  button.addEventListener('click', function () {
    if (button.getAttribute('aria-expanded') === 'true') {
      close();
    } else {
      open();
    }
  });
  addFocusStyle(button);

  window.addEventListener('message', function (event) {
    if (event.origin === origin && event.data && event.data.type === 'mathshub-chat:close') {
      close();
    }
  });

  function mount() {
    document.body.appendChild(button);
  }
  if (document.body) {
    mount();
  } else {
    document.addEventListener('DOMContentLoaded', mount);
  }
})();
