// Web chat: talks to the gateway's web channel (/api/web/session, /api/web/messages).
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const sessionKey = "tthc-session";

  async function session() {
    let token = localStorage.getItem(sessionKey);
    if (!token) {
      const response = await fetch("api/web/session", { method: "POST" });
      token = (await response.json()).token;
      localStorage.setItem(sessionKey, token);
    }
    return token;
  }

  function add(role, text, buttons) {
    const item = document.createElement("li");
    item.className = role;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.textContent = text;
    item.appendChild(bubble);
    if (buttons && buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      buttons.forEach(function (b) {
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.title;
        btn.addEventListener("click", function () { send(b.token, b.title, true); });
        row.appendChild(btn);
      });
      item.appendChild(row);
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  async function send(message, shown, button) {
    add("user", shown || message);
    try {
      const response = await fetch("api/web/messages", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Authorization": "Bearer " + (await session()),
        },
        body: JSON.stringify({ text: message, button: !!button }),
      });
      if (response.status === 401) localStorage.removeItem(sessionKey);
      const data = await response.json();
      if (!response.ok) {
        const detail = typeof data.detail === "string" ? data.detail : "Tin nhắn không hợp lệ.";
        add("bot error", detail);
        return;
      }
      if (!data.messages.length) add("bot", "Dạ, em chưa có câu trả lời cho tin nhắn này ạ.");
      data.messages.forEach(function (m) { add("bot", m.text || "", m.buttons); });
    } catch (err) {
      add("bot error", "Dạ, không kết nối được máy chủ. Anh/chị thử lại sau ít phút ạ.");
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });

  add("bot", "Dạ, em chào anh/chị! Anh/chị cần hỏi về thủ tục nào trong ngành giáo dục ạ?");
})();
