// 商量 · 试玩 — the page of the local playground (API.md is the contract with the server).
// Plain JavaScript, no build step, nothing loaded from the internet.
"use strict";

const POLL_MS = 800;
const TOAST_MS = 3500;
const CONFIRM_MS = 4000;
const PLATFORM_NAMES = { telegram: "Telegram", wechat: "微信" };

const page = {
  state: null,
  version: -1,
  persona: sessionStorage.getItem("play.persona") || null,
  tab: sessionStorage.getItem("play.tab") || "grid-1",
  failures: 0,
  working: 0,            // actions in flight from this page
  rendered: {},          // chat key → signature of what its column shows
  replyTo: {},           // chat key → {id, name, text} the next message answers (Telegram)
  seen: JSON.parse(sessionStorage.getItem("play.seen") || "{}"),  // handle → private messages read
};

// ---- small helpers -------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "html") node.innerHTML = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const $ = (css, within = document) => within.querySelector(css);

async function api(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new Error("连不上试玩服务：请在终端重新运行 scripts/play");
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    throw new Error(response.ok ? "试玩服务的回答看不懂" : `试玩服务出错（${response.status}）`);
  }
  if (!response.ok || (data && data.ok === false)) {
    throw new Error((data && data.error) || `试玩服务出错（${response.status}）`);
  }
  return data;
}

// ---- actions -------------------------------------------------------------------------------
async function act(path, body, { quiet = false } = {}) {
  page.working += 1;
  renderBusy();
  try {
    const result = await api(path, body);
    await refresh();
    return result;
  } catch (error) {
    if (!quiet) toast(error.message, true);
    throw error;
  } finally {
    page.working -= 1;
    renderBusy();
  }
}

function me() {
  return page.persona;
}

function toast(text, alert = false) {
  const box = $("#toast");
  box.textContent = text;
  box.classList.toggle("alert", alert);
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, alert ? TOAST_MS * 2 : TOAST_MS);
}

// a button that asks once more before it does something that cannot be undone
function confirming(button, question, run, needed = () => true) {
  const label = button.textContent;
  button.addEventListener("click", () => {
    if (button.disabled || !needed()) return;
    if (!button.classList.contains("confirm")) {
      button.classList.add("confirm");
      button.textContent = question;
      button.timer = setTimeout(() => { button.classList.remove("confirm"); button.textContent = label; }, CONFIRM_MS);
      return;
    }
    clearTimeout(button.timer);
    button.classList.remove("confirm");
    button.textContent = label;
    run();
  });
}

async function send(key, form) {
  const box = $(".compose", form);
  const text = box.value;
  const error = $(".error", form);
  error.hidden = true;
  if (!text.trim()) {
    error.textContent = "消息不能为空";
    error.hidden = false;
    return;
  }
  const reply = page.replyTo[key];
  try {
    await act("/api/say", { chat: key, as: me(), text, reply_to: reply ? reply.id : null }, { quiet: true });
    box.value = "";
    delete page.replyTo[key];
    renderReplyChip(key, form);
  } catch (failure) {
    error.textContent = failure.message;   // what was typed stays in the box
    error.hidden = false;
  }
  box.focus();
}

async function press(message, button) {
  if (button.url) return openLink(button.url);
  try {
    const result = await act("/api/press", { as: me(), message: message.id, data: button.data });
    if (result.toast) toast(result.toast, result.alert);
  } catch (error) { /* shown by act */ }
}

async function openLink(url) {
  if (!/^https:\/\/t\.me\/[^?]+\?start=/.test(url)) {
    toast(`试玩不打开外部链接：${url}`);
    return;
  }
  try {
    await act("/api/open", { as: me(), url });
    showChat("private");
  } catch (error) { /* shown by act */ }
}

async function vote(poll, options) {
  try {
    await act("/api/vote", { as: me(), poll: poll.id, options });
  } catch (error) { /* shown by act */ }
}

// ---- the state, polled ---------------------------------------------------------------------
async function refresh() {
  let state;
  try {
    state = await api("/api/state");
  } catch (error) {
    page.failures += 1;
    if (page.failures >= 2) $("#banner").hidden = false;
    renderBusy();
    return;
  }
  page.failures = 0;
  $("#banner").hidden = true;
  if (state.version === page.version && page.state) {
    page.state = state;
    renderBusy();
    return;
  }
  page.version = state.version;
  page.state = state;
  render();
}

function schedule() {
  setTimeout(async () => {
    await refresh();
    schedule();
  }, POLL_MS);
}

// ---- rendering -----------------------------------------------------------------------------
function render() {
  const state = page.state;
  if (!state.personas.some((p) => p.handle === page.persona)) {
    page.persona = (state.personas.find((p) => p.role === "resident") || state.personas[0] || {}).handle || null;
  }
  document.body.classList.toggle("platform-telegram", state.platform === "telegram");
  document.body.classList.toggle("platform-wechat", state.platform === "wechat");
  $("#clock").textContent = state.clock.label;
  $("#clock").title = `${state.clock.iso}（${state.clock.zone}）`;
  for (const button of document.querySelectorAll("button.platform")) {
    const name = button.dataset.platform;
    button.hidden = !(state.platforms.length > 1 && state.platforms.includes(name));
    button.classList.toggle("current", state.platform === name);
    button.setAttribute("aria-pressed", String(state.platform === name));
  }
  renderPersonas();
  renderColumns();
  renderBusy();
}

function renderBusy() {
  const state = page.state;
  const busy = state && state.busy;
  $("#busy").hidden = !busy;
  $("#busy").textContent = busy || "";
  const stopped = !$("#banner").hidden;
  const blocked = Boolean(busy) || stopped || page.working > 0;
  document.body.classList.toggle("blocked", blocked);
  for (const control of document.querySelectorAll("#topbar button, .compose, .send, .button, .poll-option, .poll-submit, .poll-retract")) {
    control.disabled = blocked;
  }
}

function privateMessages(handle) {
  return (page.state.private && page.state.private[handle]) || [];
}

function renderPersonas() {
  const list = $("#persona-list");
  const unread = {};
  for (const persona of page.state.personas) {
    if (persona.handle === page.persona) page.seen[persona.handle] = privateMessages(persona.handle).length;
    unread[persona.handle] = privateMessages(persona.handle).length - (page.seen[persona.handle] || 0);
  }
  sessionStorage.setItem("play.seen", JSON.stringify(page.seen));
  const signature = JSON.stringify([page.state.personas, page.persona, unread]);
  if (list.dataset.signature === signature) return;   // untouched buttons keep a click in progress
  list.dataset.signature = signature;
  list.replaceChildren(...page.state.personas.map((persona) => {
    const selected = persona.handle === page.persona;
    return el("button", {
      type: "button", id: `persona-${persona.handle}`, class: `persona role-${persona.role}${selected ? " selected" : ""}`,
      "aria-pressed": String(selected), title: persona.grid ? `${persona.role_label} · ${persona.grid}` : persona.role_label,
      onclick: () => choosePersona(persona.handle),
    },
    el("span", { class: "persona-name" }, persona.name),
    el("span", { class: "persona-role" }, persona.role_label + (persona.grid ? ` · ${persona.grid}` : "")),
    unread[persona.handle] > 0 ? el("span", { class: "unread", title: "私聊里的新消息" }, String(unread[persona.handle])) : null);
  }));
}

function choosePersona(handle) {
  page.persona = handle;
  sessionStorage.setItem("play.persona", handle);
  renderPersonas();
  renderColumns();
  renderBusy();
}

function columns() {
  const state = page.state;
  const persona = state.personas.find((p) => p.handle === page.persona);
  const groups = state.chats.map((chat) => ({ key: chat.key, kind: chat.kind, title: chat.title, messages: chat.messages }));
  groups.push({
    key: "private", kind: "private", title: persona ? `${persona.name} 与${state.bot.name}的私聊` : "私聊",
    messages: persona ? privateMessages(persona.handle) : [],
  });
  return groups;
}

const KIND_LABELS = { grid: "网格群", committee: "议事群", coordinators: "召集人群", private: "私聊" };

function renderColumns() {
  const main = $("#chats");
  const tabs = $("#tabs");
  const all = columns();
  if (!all.some((c) => c.key === page.tab)) page.tab = all[0].key;
  const keys = all.map((c) => c.key).join("|");
  if (main.dataset.keys !== keys) {   // the set of chats changed: build the columns afresh
    main.dataset.keys = keys;
    main.replaceChildren();
    page.rendered = {};
    tabs.replaceChildren(...all.map((chat) => el("button", {
      type: "button", role: "tab", class: "tab", dataset: { chat: chat.key }, onclick: () => showChat(chat.key),
    }, chat.title)));
    for (const chat of all) main.append(buildColumn(chat));
  }
  for (const chat of all) {
    const column = $(`#chat-${chat.key}`);
    $(".chat-title", column).textContent = chat.title;
    $(`.tab[data-chat="${chat.key}"]`, tabs).textContent = chat.title;
    const signature = JSON.stringify([page.state.platform, page.persona, chat.messages]);
    if (page.rendered[chat.key] !== signature) {
      page.rendered[chat.key] = signature;
      fillMessages(column, chat);
    }
  }
  showChat(page.tab, { scroll: false });
}

function buildColumn(chat) {
  const form = el("form", { class: "compose-bar", onsubmit: (event) => { event.preventDefault(); send(chat.key, form); } },
    el("div", { class: "reply-chip", hidden: true }),
    el("div", { class: "compose-row" },
      el("textarea", { class: "compose", rows: 2, placeholder: "以当前身份发消息；回车发送，Shift+回车换行", "aria-label": `在「${chat.title}」里发消息` }),
      el("button", { type: "submit", class: "send" }, "发送")),
    el("div", { class: "error", role: "alert", hidden: true }));
  const box = $(".compose", form);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(chat.key, form);
    }
  });
  box.addEventListener("input", () => { $(".error", form).hidden = true; });
  return el("section", { id: `chat-${chat.key}`, class: `chat kind-${chat.kind}`, role: "tabpanel" },
    el("header", { class: "chat-head" },
      el("span", { class: "chat-title" }, chat.title),
      el("span", { class: "chat-kind" }, KIND_LABELS[chat.kind] || "")),
    el("div", { class: "messages", role: "log", "aria-live": "polite" }),
    form);
}

function showChat(key, { scroll = true } = {}) {
  page.tab = key;
  sessionStorage.setItem("play.tab", key);
  for (const tab of document.querySelectorAll("#tabs .tab")) {
    const active = tab.dataset.chat === key;
    tab.classList.toggle("active", active);
    tab.setAttribute("aria-selected", String(active));
  }
  for (const column of document.querySelectorAll("#chats .chat")) {
    column.classList.toggle("active", column.id === `chat-${key}`);
  }
  if (scroll) {
    const column = $(`#chat-${key}`);
    if (column) {
      column.classList.add("flash");
      setTimeout(() => column.classList.remove("flash"), 900);
    }
  }
}

function fillMessages(column, chat) {
  const box = $(".messages", column);
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const keep = box.scrollTop;
  const nodes = [];
  let day = null;
  for (const message of chat.messages) {
    if (message.day !== day) {
      day = message.day;
      nodes.push(el("div", { class: "day" }, el("span", {}, day)));
    }
    nodes.push(renderMessage(chat, message));
  }
  if (!nodes.length) {
    nodes.push(el("p", { class: "empty" }, chat.kind === "private"
      ? "还没有私聊。在这里发 /start，或点群里的「私聊」按钮。"
      : "还没有消息。选好身份，在下面发一条，例如「#报事 3栋门口路灯坏了」。"));
  }
  box.replaceChildren(...nodes);
  box.scrollTop = atBottom ? box.scrollHeight : keep;
  renderReplyChip(chat.key, $(".compose-bar", column));
}

function renderMessage(chat, message) {
  const mine = !message.from.bot && message.from.handle === page.persona;
  const classes = ["msg", message.from.bot ? "bot" : "person", mine ? "mine" : ""].filter(Boolean).join(" ");
  const body = el("div", { class: "bubble" });
  if (chat.kind !== "private" || message.from.bot) {
    body.append(el("div", { class: "sender" }, message.from.name));
  }
  if (message.reply_to) {
    body.append(el("div", { class: "quote", title: "回复的消息" },
      el("span", { class: "quote-name" }, message.reply_to.name), el("span", { class: "quote-text" }, message.reply_to.text)));
  }
  if (message.file) body.append(renderFile(message.file));
  if (message.html) {
    const text = el("div", { class: "text", html: message.html });
    for (const link of text.querySelectorAll("a[href]")) {
      link.addEventListener("click", (event) => { event.preventDefault(); openLink(link.getAttribute("href")); });
    }
    body.append(text);
  }
  if (message.poll) body.append(renderPoll(message.poll));
  const meta = el("div", { class: "meta" }, message.edited ? el("span", { class: "edited" }, "已编辑") : null,
    el("time", {}, message.time));
  if (page.state.platform === "telegram") {   // WeChat has no quoted replies: people write "#12 +1"
    meta.prepend(el("a", { href: "#", class: "reply", title: "引用这条消息回复", onclick: (event) => {
      event.preventDefault();
      page.replyTo[chat.key] = { id: message.id, name: message.from.name, text: (body.querySelector(".text") || {}).textContent || "" };
      const form = $(`#chat-${chat.key} .compose-bar`);
      renderReplyChip(chat.key, form);
      $(".compose", form).focus();
    } }, "回复"));
  }
  body.append(meta);
  const node = el("div", { class: classes, dataset: { id: message.id } }, body);
  if (message.buttons && message.buttons.length) {
    node.append(el("div", { class: "keyboard" }, message.buttons.map((row) => el("div", { class: "keyboard-row" },
      row.map((button) => el("button", {
        type: "button", class: button.url ? "button url" : "button",
        dataset: button.url ? { url: button.url } : { data: button.data },
        title: button.url ? button.url : null, onclick: () => press(message, button),
      }, button.text))))));
  }
  return node;
}

function renderFile(file) {
  if (file.image) {
    return el("a", { class: "file image", href: file.url, target: "_blank", title: `打开 ${file.name}` },
      el("img", { src: file.url, alt: file.name, loading: "lazy" }));
  }
  return el("a", { class: "file document", href: file.url, download: file.name, title: "下载" },
    el("span", { class: "file-icon" }, file.name.endsWith(".xlsx") ? "XLSX" : "文件"),
    el("span", { class: "file-name" }, file.name));
}

function renderPoll(poll) {
  const mine = poll.voters[page.persona] || [];
  const voted = mine.length > 0;
  const showResults = voted || poll.closed;
  const box = el("div", { class: `poll${poll.closed ? " closed" : ""}` },
    el("div", { class: "poll-question" }, poll.question),
    el("div", { class: "poll-kind" }, poll.closed ? "投票已结束" : poll.multiple ? "实名投票 · 可多选" : "实名投票"));
  const chosen = new Set(mine);
  poll.options.forEach((option, index) => {
    const share = poll.total ? Math.round((option.votes / poll.total) * 100) : 0;
    const button = el("button", {
      type: "button", class: `poll-option${chosen.has(index) ? " chosen" : ""}`, dataset: { option: index },
      "aria-pressed": String(chosen.has(index)),
      onclick: () => {
        if (poll.closed || voted) return;
        if (poll.multiple) {
          button.classList.toggle("picked");
          button.setAttribute("aria-pressed", String(button.classList.contains("picked")));
        } else {
          vote(poll, [index]);
        }
      },
    },
    el("span", { class: "poll-text" }, option.text),
    showResults ? el("span", { class: "poll-share" }, `${share}%`) : null,
    showResults ? el("span", { class: "poll-bar", style: `width:${share}%` }) : null);
    if (poll.closed || voted) button.classList.add("settled");
    box.append(button);
  });
  box.append(el("div", { class: "poll-total" }, `共 ${poll.total} 人投票`));
  if (!poll.closed && poll.multiple && !voted) {
    box.append(el("button", { type: "button", class: "poll-submit", onclick: () => {
      const picked = [...box.querySelectorAll(".poll-option.picked")].map((b) => Number(b.dataset.option));
      if (picked.length) vote(poll, picked); else toast("先选至少一个选项");
    } }, "投票"));
  }
  if (!poll.closed && voted) {
    box.append(el("button", { type: "button", class: "poll-retract", onclick: () => vote(poll, []) }, "撤回投票"));
  }
  return box;
}

function renderReplyChip(key, form) {
  if (!form) return;
  const chip = $(".reply-chip", form);
  const reply = page.replyTo[key];
  if (!reply || page.state.platform !== "telegram") {
    chip.hidden = true;
    chip.replaceChildren();
    return;
  }
  chip.hidden = false;
  chip.replaceChildren(el("span", {}, `回复 ${reply.name}：${reply.text.slice(0, 40)}`),
    el("button", { type: "button", class: "chip-cancel", title: "不回复了", onclick: () => {
      delete page.replyTo[key];
      renderReplyChip(key, form);
    } }, "×"));
}

// ---- the top bar ---------------------------------------------------------------------------
function wireTopBar() {
  const move = (body) => act("/api/time", body).catch(() => {});
  $("#time-hour").addEventListener("click", () => move({ minutes: 60 }));
  $("#time-day").addEventListener("click", () => move({ minutes: 24 * 60 }));
  $("#time-morning").addEventListener("click", () => move({ to: "08:30" }));
  $("#load-sample").addEventListener("click", () => {
    page.replyTo = {};
    act("/api/sample", {}).then(() => toast("示例周已载入：看看各个群，换个身份试试")).catch(() => {});
  });
  confirming($("#reset"), "确定清空？", () => {
    page.replyTo = {};
    act("/api/reset", { platform: null }).then(() => toast("已清空，时间回到开始")).catch(() => {});
  });
  for (const button of document.querySelectorAll("button.platform")) {
    const name = button.dataset.platform;
    confirming(button, `切换到${PLATFORM_NAMES[name]}并清空？`, () => {
      page.replyTo = {};
      act("/api/reset", { platform: name }).then(() => toast(`现在是${PLATFORM_NAMES[name]}：聊天已清空`)).catch(() => {});
    }, () => Boolean(page.state) && page.state.platform !== name);
  }
}

wireTopBar();
refresh().finally(schedule);
