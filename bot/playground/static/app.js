// The playground page: who you are, where you are, what you see, and what you do.
// Everything you do is POSTed to /playground/act, which turns it into the signed
// request Slack would send to deskbot. Server-sent events say when to look again.
// Every word of the page's own comes from deskbot's catalogues (PageWords.t); the
// language switch (English | עברית) turns the page, and its direction, at once.
"use strict";

(function () {
  const { el, run, mrkdwn, blocks, clock } = window.BlockKit;
  const { t } = window.PageWords;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const ui = {
    me: params.get("as") || localStorage.getItem("playground.me") || "UELI",
    where: null, // channel id, or "home"
    thread: null, // ts of the open thread's parent
    data: null,
  };

  function say(text) {
    $("status").textContent = text;
  }

  async function act(body) {
    const response = await fetch("/playground/act", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({ user: ui.me }, body)),
    });
    const answer = await response.json().catch(() => ({ ok: false, error: t("playground.no_answer") }));
    if (!answer.ok) say(t("playground.not_sent", { error: answer.error }));
    return answer;
  }

  async function load() {
    const response = await fetch("/playground/state?user=" + encodeURIComponent(ui.me));
    if (!response.ok) return;
    ui.data = await response.json();
    followPerson();
    render();
  }

  // Until a language is chosen with the switch, the page speaks the language of the
  // person you act as (their Slack's): Noa's page is in Hebrew, Eli's in English.
  function followPerson() {
    const me = person(ui.me);
    if (me && !window.PageWords.chosen() && me.language !== window.PageWords.lang()) {
      window.PageWords.use(me.language, { remember: false });
    }
  }

  // ------------------------------------------------------------ helpers

  function person(id) {
    return (ui.data.people || []).find((p) => p.id === id);
  }

  function ctxFor(where) {
    return {
      names: ui.data.users, people: ui.data.people, channels: ui.data.channels,
      act: (body) => act(Object.assign({ kind: "action" }, where, body)),
    };
  }

  function time(ts) {
    return clock(new Date(parseFloat(ts) * 1000));
  }

  function role(p) {
    return t("playground.role." + p.role);
  }

  function avatar(userId) {
    const p = person(userId);
    if (p) return el("span", { class: "avatar", style: "background:" + p.color, "aria-hidden": "true" }, p.initials);
    return el("span", { class: "avatar bot", "aria-hidden": "true" }, "🛟");
  }

  function channelName(id) {
    const channel = ui.data.channels.find((c) => c.id === id);
    if (!channel) return id;
    return channel.is_im ? "deskbot" : "#" + channel.name;
  }

  // ------------------------------------------------------------ rendering

  function renderPeople() {
    const box = $("people");
    box.replaceChildren(...ui.data.people.map((p) => el("button", {
      type: "button", role: "radio", class: "person", "aria-checked": String(p.id === ui.me),
      tabindex: p.id === ui.me ? "0" : "-1", "data-user": p.id,
      onclick: () => switchTo(p.id),
      onkeydown: (event) => {
        const index = ui.data.people.findIndex((q) => q.id === p.id);
        const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
        if (!step) return;
        event.preventDefault();
        const next = ui.data.people[(index + step + ui.data.people.length) % ui.data.people.length];
        switchTo(next.id).then(() => document.querySelector(`[data-user="${next.id}"]`).focus());
      },
    }, el("span", { class: "avatar", style: "background:" + p.color, "aria-hidden": "true" }, p.initials),
    el("span", { class: "person-name", dir: "auto" }, p.real_name.split(" ")[0]),
    el("span", { class: "role" }, role(p)))));
  }

  // English | עברית: each choice named in its own language.
  function renderLanguages() {
    const current = window.PageWords.lang();
    $("languages").replaceChildren(...window.PageWords.choices().map((c) => el("button", {
      type: "button", class: "language", lang: c.lang, "data-lang": c.lang,
      "aria-pressed": String(c.lang === current), onclick: () => switchLanguage(c.lang),
    }, c.name)));
  }

  function navItem(id, label, icon) {
    const current = ui.where === id;
    return el("li", {}, el("button", {
      type: "button", class: "nav-item", "aria-current": current ? "page" : null,
      "data-nav": id, onclick: () => go(id),
    }, el("span", { "aria-hidden": "true", class: "nav-icon" }, icon), label));
  }

  function renderNav() {
    $("team-name").textContent = ui.data.team.name;
    $("nav-top").replaceChildren(navItem("home", t("playground.nav_home"), "🏠"));
    $("nav-channels").replaceChildren(...ui.data.channels.filter((c) => !c.is_im)
      .map((c) => navItem(c.id, c.name, "#")));
    $("nav-dms").replaceChildren(...ui.data.channels.filter((c) => c.is_im)
      .map((c) => navItem(c.id, "deskbot", "🛟")));
  }

  function isReply(m) {
    return m.thread_ts && m.thread_ts !== m.ts;
  }

  // Files shared with a message (by a person, or uploaded by deskbot): links to them.
  function fileLinks(m) {
    if (!m.files || !m.files.length) return null;
    return el("ul", { class: "files" }, ...m.files.map((f) => el("li", {},
      el("a", { href: "/playground/file/" + encodeURIComponent(f.id), target: "_blank",
                rel: "noopener", dir: "auto" }, "📎 " + (f.name || f.title || t("playground.file"))))));
  }

  function messageItem(m, channel, { ephemeral = false, inThread = false } = {}) {
    const pinned = (ui.data.pins[channel] || []).includes(m.ts);
    const fromBot = ephemeral || m.user === ui.data.bot.id || Boolean(m.bot_id);
    const author = fromBot ? "deskbot" : (ui.data.users[m.user] || m.user);
    const where = ephemeral ? { where: "ephemeral", channel, ts: m.ts }
      : { where: "message", channel, ts: m.ts };
    const body = m.blocks && m.blocks.length ? blocks(m.blocks, ctxFor(where), {})
      : run("div", { class: "text" }, mrkdwn(m.text, ui.data.users));
    const replies = inThread ? [] : (ui.data.messages[channel] || []).filter((r) => r.thread_ts === m.ts && r.ts !== m.ts);
    const item = el("li", {
      class: "message" + (ephemeral ? " ephemeral" : "") + (pinned ? " pinned" : ""),
      "data-ts": m.ts, "aria-label": t("playground.message_aria", { person: author, time: time(m.ts) }),
    }, avatar(fromBot ? null : m.user),
    el("div", { class: "message-main" },
      el("div", { class: "meta" },
        el("strong", { class: "author" }, el("bdi", {}, author)),
        fromBot ? el("span", { class: "badge" }, t("playground.app_badge")) : null,
        el("time", { dir: "auto" }, time(m.ts)),
        m.edited ? el("span", { class: "edited" }, t("playground.edited")) : null,
        // The channel's pin, as Slack marks it; the card says "Pinned" itself (once).
        pinned ? el("span", { class: "pin-mark", title: t("playground.pinned_here"),
          "aria-label": t("playground.pinned_here") }, "📌") : null,
        ephemeral ? el("span", { class: "only-you" }, t("playground.only_you")) : null),
      body,
      fileLinks(m),
      replies.length && !ephemeral ? el("button", {
        type: "button", class: "replies", onclick: () => openThread(m.ts),
      }, t("playground.replies", { count: replies.length })) : null,
      !replies.length && !ephemeral && !inThread && !isReply(m) ? el("button", {
        type: "button", class: "reply-link", onclick: () => openThread(m.ts),
        "aria-label": t("playground.reply_to", { person: author }),
      }, t("playground.reply_in_thread")) : null));
    return item;
  }

  function renderChannel() {
    const home = ui.where === "home";
    $("home").hidden = !home;
    $("messages").hidden = home;
    $("composer").hidden = home;
    if (home) {
      title($("channel-title"), t("playground.home"));
      $("pins").textContent = "";
      const view = ui.data.home;
      $("home").replaceChildren(view ? blocks(view.blocks, ctxFor({ where: "home" }), {})
        : el("p", { class: "empty" }, t("playground.opening_home")));
      return;
    }
    const channel = ui.where;
    title($("channel-title"), channelName(channel));
    $("composer-label").textContent = t("playground.message_to", { name: channelName(channel) });
    const pins = ui.data.pins[channel] || [];
    $("pins").textContent = pins.length ? t("playground.pinned_count", { count: pins.length }) : "";
    const all = (ui.data.messages[channel] || []).filter((m) => !isReply(m))
      .map((m) => ({ m, ephemeral: false }));
    for (const e of ui.data.ephemerals) {
      if (e.channel === channel && !e.thread_ts) all.push({ m: e, ephemeral: true });
    }
    all.sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(...(all.length ? all.map(({ m, ephemeral }) => messageItem(m, channel, { ephemeral }))
      : [el("li", { class: "empty" }, channel.startsWith("D")
        ? t("playground.empty_dm") : t("playground.empty_channel"))]));
    if (atBottom || ui.scrollDown) list.scrollTop = list.scrollHeight;
    ui.scrollDown = false;
  }

  function renderThread() {
    const pane = $("thread");
    if (!ui.thread || ui.where === "home") {
      pane.hidden = true;
      return;
    }
    const channel = ui.where;
    const messages = ui.data.messages[channel] || [];
    const parent = messages.find((m) => m.ts === ui.thread);
    if (!parent) {
      pane.hidden = true;
      return;
    }
    pane.hidden = false;
    $("thread-title").textContent = t("playground.thread_in", { name: channelName(channel) });
    const items = [{ m: parent, ephemeral: false }];
    for (const m of messages) if (m.thread_ts === ui.thread && m.ts !== ui.thread) items.push({ m, ephemeral: false });
    for (const e of ui.data.ephemerals) {
      if (e.channel === channel && e.thread_ts === ui.thread) items.push({ m: e, ephemeral: true });
    }
    items.sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
    const list = $("thread-messages");
    list.replaceChildren(...items.map(({ m, ephemeral }) => messageItem(m, channel, { ephemeral, inThread: true })));
    list.scrollTop = list.scrollHeight;
  }

  function renderModal() {
    const layer = $("modal-layer");
    const view = ui.data.modal;
    if (!view) {
      layer.hidden = true;
      layer.replaceChildren();
      ui.modalId = null;
      return;
    }
    if (ui.modalId === view.id) return; // keep what the person typed
    ui.modalId = view.id;
    const form = el("form", { class: "modal", role: "dialog", "aria-modal": "true", "aria-labelledby": "modal-title" },
      run("h2", { id: "modal-title" }, view.title ? view.title.text : "deskbot"),
      blocks(view.blocks, ctxFor({ where: "modal", view_id: view.id }), {}),
      el("div", { class: "modal-buttons" },
        run("button", { type: "button", class: "btn", onclick: closeModal }, view.close ? view.close.text : t("playground.cancel")),
        view.submit ? run("button", { type: "submit", class: "btn btn-primary" }, view.submit.text) : null));
    form.addEventListener("submit", (event) => { event.preventDefault(); submitModal(form, view); });
    form.addEventListener("keydown", (event) => { if (event.key === "Escape") closeModal(); });
    layer.replaceChildren(form);
    layer.hidden = false;
    const first = form.querySelector("input, textarea, select, button");
    if (first) first.focus();
  }

  // A title whose text is data (a channel's name): it reads in its own direction, so
  // "#it-desk" keeps its # in front on a right-to-left page.
  function title(node, text) {
    node.textContent = text;
    node.setAttribute("dir", window.BlockKit.strongDir(node) || "auto");
  }

  function render() {
    if (!ui.where) ui.where = defaultPlace();
    renderLanguages();
    renderPeople();
    renderNav();
    renderChannel();
    renderThread();
    renderModal();
  }

  function defaultPlace() {
    const me = person(ui.me);
    if (me && me.role === "agent") {
      const it = ui.data.channels.find((c) => c.name === "it-desk");
      if (it) return it.id;
    }
    return "D" + ui.me;
  }

  // ------------------------------------------------------------ doing

  async function switchTo(id) {
    ui.me = id;
    localStorage.setItem("playground.me", id);
    ui.where = null;
    ui.thread = null;
    ui.modalId = null;
    await load();
    say(t("playground.you_are", { person: person(id).real_name, label: role(person(id)) }));
  }

  // The page's own words in another language; what deskbot wrote stays as it was.
  function switchLanguage(lang) {
    window.PageWords.use(lang);
    ui.modalId = null; // the modal's buttons are the page's words too
    if (ui.data) render();
    else renderLanguages();
  }

  async function go(where) {
    ui.where = where;
    ui.thread = null;
    ui.scrollDown = true;
    render();
    if (where === "home") await act({ kind: "home" });
  }

  function openThread(ts) {
    ui.thread = ts;
    renderThread();
    $("thread-text").focus();
  }

  // Only `/desk …` at the start is a command; anything else, `// a note` included, is a
  // message. True once deskbot has it; false leaves the text for the person to fix.
  async function send(text, threadTs) {
    const trimmed = text.trim();
    if (!trimmed) return false;
    const channel = ui.where;
    const command = trimmed.match(/^\/desk(?:\s+([\s\S]*))?$/);
    let answer;
    if (command) {
      answer = await act({ kind: "command", channel, text: (command[1] || "").trim(), thread_ts: threadTs || null });
    } else {
      ui.scrollDown = true;
      answer = await act({ kind: "message", channel, text: trimmed, thread_ts: threadTs || null });
    }
    return Boolean(answer && answer.ok);
  }

  function composer(formId, textId, threadOf) {
    const form = $(formId);
    const text = $(textId);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = text.value;
      text.value = "";
      let sent = false;
      try {
        sent = await send(value, threadOf());
      } catch (error) {
        say(t("playground.not_sent", { error: error.message }));
      }
      if (!sent && !text.value) text.value = value; // a refused entry keeps its text
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  function collect(form) {
    const values = {};
    for (const control of form.querySelectorAll("[data-block]")) {
      const block = control.dataset.block;
      const action = control.dataset.action;
      const kind = control.dataset.kind || "plain_text_input";
      let value;
      if (kind === "plain_text_input") value = { type: kind, value: control.value };
      else if (kind === "users_select") value = { type: kind, selected_user: control.value || null };
      else if (kind === "conversations_select") value = { type: kind, selected_conversation: control.value || null };
      else {
        const chosen = control.selectedOptions[0];
        value = { type: kind, selected_option: control.value ? { value: control.value, text: { type: "plain_text", text: chosen.textContent } } : null };
      }
      values[block] = Object.assign(values[block] || {}, { [action]: value });
    }
    return values;
  }

  async function submitModal(form, view) {
    const answer = await act({ kind: "submit", view_id: view.id, values: collect(form) });
    for (const node of form.querySelectorAll("[data-error-for]")) node.textContent = "";
    if (answer.errors) {
      for (const [block, message] of Object.entries(answer.errors)) {
        const node = form.querySelector(`[data-error-for="${CSS.escape(block)}"]`);
        if (node) node.textContent = message;
      }
    }
  }

  async function closeModal() {
    if (ui.data.modal) await act({ kind: "close", view_id: ui.data.modal.id });
  }

  renderLanguages();
  composer("composer", "composer-text", () => null);
  composer("thread-composer", "thread-text", () => ui.thread);
  $("thread-close").addEventListener("click", () => { ui.thread = null; renderThread(); });

  const events = new EventSource("/playground/events");
  events.onmessage = () => load();
  load();
})();
