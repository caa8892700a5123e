/* Chat widget of the education procedures assistant: one tag on any page of any origin,
 *
 *   <script src="https://HOST/widget.js" data-title="…" defer></script>
 *
 * adds a launcher bubble that opens the chat; data-mode="page" renders the chat full-page
 * instead (the gateway's own page at /). HOST is where this file came from: the API calls
 * and widget.css go there. No framework, no inline script, no inline style: the DOM lives
 * in a Shadow DOM styled by HOST/widget.css, so a host page's Content-Security-Policy only
 * has to allow HOST in script-src, style-src and connect-src. Message text is only ever set
 * with textContent; http(s) URLs in the bot's answers become links.
 *
 * While the citizen waits for an officer or one is answering (the server's "handoff"), the
 * widget polls the history for what the officer writes, every few seconds while the tab is
 * visible, backing off when the server does not answer.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || !script.src || document.querySelector("tthc-chat")) return;

  const HOST = new URL(script.src).origin;
  const API = HOST + "/api/web";
  const PAGE = script.dataset.mode === "page";
  const TITLE = script.dataset.title || "Trợ lý thủ tục hành chính";
  const SUBTITLE = script.dataset.subtitle ||
    "Sở Giáo dục và Đào tạo — hỏi về giấy tờ, thời hạn, lệ phí, nơi nộp hồ sơ";
  const GREETING = script.dataset.greeting ||
    "Dạ, em chào anh/chị! Anh/chị cần hỏi về thủ tục nào trong ngành giáo dục ạ?";
  const TOKEN_KEY = "tthc-chat-token:" + HOST; // localStorage belongs to the host page
  const OPEN_KEY = "tthc-chat-open:" + HOST;

  const TEXT = {
    network: "Dạ, em chưa kết nối được tới máy chủ. Anh/chị kiểm tra kết nối mạng rồi bấm " +
      "“Gửi lại” giúp em nhé ạ.",
    server: "Dạ, hệ thống đang bận. Anh/chị vui lòng thử lại sau ít phút ạ.",
    invalid: "Dạ, tin nhắn này chưa gửi được. Anh/chị kiểm tra lại nội dung giúp em ạ.",
    empty: "Dạ, em chưa có câu trả lời cho tin nhắn này ạ.",
    history: "Dạ, em chưa tải lại được cuộc trò chuyện trước đó. Anh/chị bấm “Thử lại” nhé ạ.",
    typing: "Trợ lý đang trả lời…",
    waiting: "Đang chờ cán bộ…",
    taken: "Cán bộ đang hỗ trợ",
  };
  const POLL_MS = 4000;
  const MAX_POLL_MS = 60000;
  const AUTHORS = { user: "Anh/chị", bot: "Trợ lý", officer: "Cán bộ" };

  // --- storage that survives a browser refusing it (private mode, blocked cookies) ---
  const memory = {};
  function load(storage, key) {
    try { return window[storage].getItem(key); } catch (e) { return memory[key] || null; }
  }
  function save(storage, key, value) {
    try {
      if (value === null) window[storage].removeItem(key); else window[storage].setItem(key, value);
    } catch (e) { /* fall back to memory below */ }
    if (value === null) delete memory[key]; else memory[key] = value;
  }

  // --- DOM helpers: attributes and textContent only ---
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs.text;
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function icon(cls, d) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", cls);
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }
  const CHAT_ICON = "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zM6 9h12v2H6" +
    "zm8 5H6v-2h8zm4-6H6V6h12z";
  const CLOSE_ICON = "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 " +
    "13.41 17.59 19 19 17.59 13.41 12z";

  // --- links: only http(s) URLs, the rest stays text ---
  const URL_PATTERN = /https?:\/\/[^\s<>"'`{}|\\^]+/gi;

  function trimUrl(url) {
    for (;;) {
      let shorter = url.replace(/[.,;:!?'"]+$/, "");
      if (shorter.endsWith(")") && !shorter.includes("(")) shorter = shorter.slice(0, -1);
      if (shorter === url) return url;
      url = shorter;
    }
  }

  function safeHref(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function appendText(parent, text, linkify) {
    let at = 0;
    if (linkify) {
      for (const match of text.matchAll(URL_PATTERN)) {
        const url = trimUrl(match[0]);
        const href = safeHref(url);
        if (!href) continue;
        parent.appendChild(document.createTextNode(text.slice(at, match.index)));
        parent.appendChild(el("a", {
          href: href, target: "_blank", rel: "noopener noreferrer", text: url,
        }));
        at = match.index + url.length;
      }
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  // --- the interface ---
  const hostElement = document.createElement("tthc-chat");
  if (PAGE) hostElement.setAttribute("data-mode", "page");
  const shadow = hostElement.attachShadow({ mode: "open" });
  const frame = el("div", { class: "frame", lang: "vi", hidden: "" });
  const sheet = el("link", { rel: "stylesheet", href: HOST + "/widget.css" });
  sheet.addEventListener("load", reveal);
  sheet.addEventListener("error", reveal); // unstyled but usable beats invisible
  function reveal() { frame.hidden = false; }

  const launcher = el("button", {
    type: "button", class: "launcher", "aria-label": "Trò chuyện với " + TITLE,
    "aria-expanded": "false", "aria-controls": "tthc-panel", title: TITLE,
  }, [icon("icon-chat", CHAT_ICON), icon("icon-close", CLOSE_ICON)]);
  const closeButton = el("button", {
    type: "button", class: "close", "aria-label": "Đóng trò chuyện", title: "Đóng",
  }, [icon("icon-close", CLOSE_ICON)]);
  const heading = el(PAGE ? "h1" : "h2", { id: "tthc-title", class: "title", text: TITLE });
  const head = el("div", { class: "head" }, [
    el("div", { class: "titles" }, [heading, el("p", { class: "subtitle", text: SUBTITLE })]),
  ]);
  const log = el("ol", {
    class: "log", role: "log", "aria-live": "polite", "aria-label": "Nội dung trò chuyện",
    tabindex: "0",
  });
  const typing = el("li", { class: "msg bot typing" }, [
    el("div", { class: "bubble" }, [
      el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "dot" }),
      el("span", { class: "vh", text: TEXT.typing }),
    ]),
  ]);
  const input = el("input", {
    id: "tthc-input", type: "text", name: "message", autocomplete: "off", enterkeyhint: "send",
    placeholder: "Nhập câu hỏi của anh/chị…",
  });
  const statusLine = el("p", { class: "status", role: "status", hidden: "" });
  const form = el("form", { class: "composer" }, [
    el("label", { for: "tthc-input", class: "vh", text: "Câu hỏi của anh/chị" }),
    input,
    el("button", { type: "submit", class: "send", text: "Gửi" }),
  ]);
  const panel = el("section", {
    id: "tthc-panel", class: "panel", role: PAGE ? "region" : "dialog",
    "aria-labelledby": "tthc-title",
  }, [head, log, statusLine, form]);

  if (PAGE) {
    frame.appendChild(panel);
  } else {
    head.appendChild(closeButton);
    panel.hidden = true;
    frame.appendChild(launcher);
    frame.appendChild(panel);
  }
  shadow.appendChild(sheet);
  shadow.appendChild(frame);

  // --- the log ---
  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function insert(item) {
    log.insertBefore(item, typing.parentNode === log ? typing : null);
    scrollDown();
    return item;
  }

  // role: "user", "bot" or "officer" (shown as the bot's side, with a label).
  function addMessage(role, text, choices, extra) {
    const kind = role === "officer" ? "bot officer" : role;
    const item = el("li", { class: "msg " + kind + (extra ? " " + extra : "") });
    if (role === "officer") {
      item.appendChild(el("span", { class: "author", "aria-hidden": "true", text: AUTHORS.officer }));
    }
    if (text) {
      const who = AUTHORS[role] + ": "; // for screen readers
      const bubble = el("div", { class: "bubble" }, [el("span", { class: "vh", text: who })]);
      appendText(bubble, text, role !== "user");
      item.appendChild(bubble);
    }
    if (choices && choices.length) item.appendChild(choiceRow(choices));
    return insert(item);
  }

  function addImage(url) {
    const href = safeHref(url);
    if (!href) return;
    const bubble = el("div", { class: "bubble" });
    // Another origin's image would break the host page's img-src: link to it instead.
    if (new URL(href).origin === HOST) bubble.appendChild(el("img", { src: href, alt: "" }));
    else appendText(bubble, href, true);
    insert(el("li", { class: "msg bot" }, [bubble]));
  }

  // Each choice is {title, run}: a quick reply or a retry.
  function choiceRow(choices) {
    const row = el("div", { class: "choices", role: "group", "aria-label": "Gợi ý trả lời" });
    choices.forEach(function (choice) {
      const button = el("button", { type: "button", class: "choice", text: choice.title });
      button.addEventListener("click", function () {
        input.focus(); // the button is about to go away
        choice.run();
      });
      row.appendChild(button);
    });
    return row;
  }

  function quickReplies(buttons) {
    return (buttons || []).map(function (b) {
      return { title: b.title, run: function () { send(b.token, b.title, true); } };
    });
  }

  function clearChoices() {
    log.querySelectorAll(".choices").forEach(function (row) { row.remove(); });
  }

  function setTyping(on) {
    if (on) log.appendChild(typing); else typing.remove();
    scrollDown();
  }

  // --- the server ---
  async function call(path, method, body) {
    let response;
    for (let attempt = 0; attempt < 2; attempt++) {
      let token = load("localStorage", TOKEN_KEY);
      if (!token) {
        const created = await fetch(API + "/session", { method: "POST", credentials: "omit" });
        if (!created.ok) return created;
        token = (await created.json()).token;
        save("localStorage", TOKEN_KEY, token);
      }
      const headers = { Authorization: "Bearer " + token };
      if (body) headers["Content-Type"] = "application/json";
      response = await fetch(API + path, {
        method: method, headers: headers, credentials: "omit", cache: "no-store",
        body: body ? JSON.stringify(body) : undefined,
      });
      if (response.status !== 401) return response;
      save("localStorage", TOKEN_KEY, null); // expired or from another key: a new session
    }
    return response;
  }

  async function problem(response) {
    if ([413, 422, 503].indexOf(response.status) >= 0) {
      try {
        const data = await response.json();
        if (typeof data.detail === "string" && data.detail) return data.detail;
      } catch (e) { /* no JSON: the generic text below */ }
      if (response.status !== 503) return TEXT.invalid;
    }
    return TEXT.server;
  }

  let busy = false;
  let history = null;

  // --- the hand-off to an officer: the history is polled for what nobody asked for ---
  let handoff = null; // "waiting", "taken" or null
  let lastId = 0; // the newest history id read
  const seen = new Set(); // history ids already on screen
  let pollTimer = null;
  let pollDelay = POLL_MS;
  let sends = 0; // a poll answered while a message was being sent is dropped

  function remember(ids) { (ids || []).forEach(function (id) { seen.add(id); }); }

  function setHandoff(state) {
    handoff = state === "waiting" || state === "taken" ? state : null;
    statusLine.textContent = handoff ? TEXT[handoff] : "";
    statusLine.hidden = !handoff;
    if (handoff) schedulePoll(); else stopPolling();
  }

  function schedulePoll(delay) {
    if (pollTimer || !handoff || document.hidden) return;
    pollTimer = setTimeout(poll, delay === undefined ? pollDelay : delay);
  }

  function stopPolling() {
    clearTimeout(pollTimer);
    pollTimer = null;
    pollDelay = POLL_MS;
  }

  async function poll() {
    pollTimer = null;
    if (!handoff || document.hidden) return;
    if (!busy) {
      const before = sends;
      try {
        const response = await call("/history?after=" + lastId, "GET");
        if (!response.ok) throw new Error("history " + response.status);
        const data = await response.json();
        pollDelay = POLL_MS;
        if (sends === before && !busy) {
          showNew(data.messages || []);
          setHandoff(data.handoff);
          return;
        }
      } catch (e) {
        pollDelay = Math.min(pollDelay * 2, MAX_POLL_MS);
      }
    }
    schedulePoll();
  }

  function showNew(messages) {
    messages.forEach(function (m) {
      lastId = Math.max(lastId, m.id);
      if (seen.has(m.id)) return;
      seen.add(m.id);
      if (m.role === "user") { addMessage("user", m.text); return; } // from another tab
      if (m.buttons && m.buttons.length) clearChoices();
      addMessage(m.role === "officer" ? "officer" : "bot", m.text || "", quickReplies(m.buttons));
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) stopPolling(); else schedulePoll(0);
  });

  async function deliver(body) {
    busy = true;
    setTyping(true);
    const retry = [{ title: "Gửi lại", run: function () { resend(body); } }];
    try {
      const response = await call("/messages", "POST", body);
      setTyping(false);
      if (!response.ok) {
        const canRetry = response.status >= 500 || response.status === 401;
        addMessage("bot", await problem(response), canRetry ? retry : null, "error");
        return;
      }
      const data = await response.json();
      const messages = data.messages || [];
      remember(data.logged);
      // While an officer has the conversation the assistant stays silent, on purpose.
      if (!messages.length && !data.handoff) addMessage("bot", TEXT.empty);
      messages.forEach(function (m) {
        if (m.text || (m.buttons && m.buttons.length)) {
          addMessage("bot", m.text || "", quickReplies(m.buttons));
        }
        if (m.image) addImage(m.image);
      });
      // Just handed back: one more look for what the assistant said then, before stopping.
      if (handoff && !data.handoff) schedulePoll(0); else setHandoff(data.handoff);
    } catch (e) {
      setTyping(false);
      addMessage("bot", TEXT.network, retry, "error");
    } finally {
      busy = false;
    }
  }

  async function send(text, shown, button) {
    if (busy) return;
    busy = true;
    sends++;
    await (history || Promise.resolve());
    clearChoices();
    addMessage("user", shown);
    await deliver({ text: text, button: !!button });
  }

  function resend(body) {
    if (busy) return;
    sends++;
    clearChoices();
    deliver(body);
  }

  function loadHistory() {
    if (!history) history = fetchHistory();
    return history;
  }

  async function fetchHistory() {
    log.replaceChildren();
    addMessage("bot", GREETING);
    if (!load("localStorage", TOKEN_KEY)) return; // no conversation yet: no session needed
    log.setAttribute("aria-busy", "true"); // the past is not read out message by message
    setTyping(true);
    try {
      const response = await call("/history", "GET");
      if (!response.ok) throw new Error("history " + response.status);
      const data = await response.json();
      const messages = data.messages || [];
      let lastUser = -1;
      messages.forEach(function (m, i) { if (m.role === "user") lastUser = i; });
      setTyping(false);
      messages.forEach(function (m, i) {
        const role = m.role === "user" || m.role === "officer" ? m.role : "bot";
        // Only the last answer's buttons: older ones belong to a question already moved on.
        const last = role !== "user" && i > lastUser;
        addMessage(role, m.text || "", last ? quickReplies(m.buttons) : null);
        seen.add(m.id);
        lastId = Math.max(lastId, m.id);
      });
      setHandoff(data.handoff);
    } catch (e) {
      setTyping(false);
      history = null;
      addMessage("bot", TEXT.history, [{ title: "Thử lại", run: loadHistory }], "error");
    } finally {
      log.removeAttribute("aria-busy");
      scrollDown();
    }
  }

  // --- opening and closing ---
  function open(moveFocus) {
    panel.hidden = false;
    frame.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    save("sessionStorage", OPEN_KEY, "1"); // still open on the site's next page
    loadHistory();
    if (moveFocus) input.focus();
  }

  function close() {
    panel.hidden = true;
    frame.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    save("sessionStorage", OPEN_KEY, null);
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) open(true); else close();
  });
  closeButton.addEventListener("click", close);
  shadow.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !PAGE && !panel.hidden) {
      event.preventDefault();
      close();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    send(text, text, false);
  });

  function mount() {
    document.body.appendChild(hostElement);
    if (PAGE) loadHistory();
    else if (load("sessionStorage", OPEN_KEY)) open(false);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
