// Block Kit and mrkdwn rendered into DOM nodes. Text is always set as text (never as
// HTML), so whatever deskbot or a person wrote cannot inject markup.
// Each run of text (a section's text, a field, a header, a button…) gets the direction
// of its first strong letter, as `dir` (`run`): Hebrew runs read right to left and
// English ones left to right, in the same page, whatever the page's own language.
"use strict";

(function () {
  const { t, locale } = window.PageWords;
  const EMOJI = {
    pushpin: "📌", white_check_mark: "✅", warning: "⚠️", rotating_light: "🚨",
    hourglass: "⌛", hourglass_flowing_sand: "⏳", star: "⭐", bust_in_silhouette: "👤",
    inbox_tray: "📥", lock: "🔒", speech_balloon: "💬", x: "❌", wave: "👋",
    large_green_circle: "🟢", large_yellow_circle: "🟡", red_circle: "🔴",
    white_circle: "⚪", large_blue_circle: "🔵", no_entry: "⛔", zzz: "💤",
    bell: "🔔", memo: "📝", calendar: "📅", clock3: "🕒", tada: "🎉", eyes: "👀",
    arrow_right: "➡️", busts_in_silhouette: "👥", heavy_check_mark: "✔️",
    information_source: "ℹ️", question: "❓", thumbsup: "👍", thumbsdown: "👎",
  };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Letters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo…).
  const RTL_LETTER = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFC]/;
  const LETTER = /\p{L}/u;

  // "rtl" or "ltr" from the first strong letter of `node`'s text, or null when it has
  // none. Isolates are skipped, as Unicode's rule P2 and HTML's dir=auto skip them: a
  // <bdi> (user text inside our words) and any element with its own dir (a mention, a
  // date, a quote), the text spans of a run itself (`.mrkdwn`, `.plain`) aside.
  function strongDir(node, { inIsolates = false } = {}) {
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => {
        if (n.nodeType === Node.TEXT_NODE) return NodeFilter.FILTER_ACCEPT;
        const isolate = n.tagName === "BDI" || (n.hasAttribute("dir") &&
          !n.classList.contains("mrkdwn") && !n.classList.contains("plain"));
        return isolate && !inIsolates ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_SKIP;
      },
    });
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      let inside = 0; // characters between FSI…PDI left as text are isolates too
      for (const char of text.data) {
        if (char === "\u2068" || char === "\u2066" || char === "\u2067") inside += 1;
        else if (char === "\u2069") inside = Math.max(0, inside - 1);
        else if ((!inside || inIsolates) && LETTER.test(char)) return RTL_LETTER.test(char) ? "rtl" : "ltr";
      }
    }
    return null;
  }

  // A block-level run of text: `tag` holding `content`, its dir from its own text. A run
  // whose only letters are isolated ("#1042 ⁨subject⁩") reads in their direction.
  function run(tag, attrs, ...content) {
    const node = el(tag, attrs, ...content);
    const own = strongDir(node);
    const dir = own || strongDir(node, { inIsolates: true }) || "auto";
    node.setAttribute("dir", dir);
    if (!own && dir !== "auto") {
      // Its text spans (dir=auto) would find no letter of their own either: they follow.
      for (const span of node.querySelectorAll(".mrkdwn[dir=auto], .plain[dir=auto]")) {
        span.setAttribute("dir", dir);
      }
    }
    return node;
  }

  function decode(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function emoji(text) {
    return text.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] || all);
  }

  // deskbot isolates user text inside its sentences (FSI U+2068 … PDI U+2069): here each
  // isolate becomes a <bdi>, HTML's own isolate, which takes the direction of its text.
  function isolated(text) {
    const nodes = [];
    const pattern = /\u2068([^\u2068\u2069]*)\u2069?/g;
    let last = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) nodes.push(text.slice(last, match.index).replace(/\u2069/g, ""));
      if (match[1]) nodes.push(el("bdi", {}, match[1])); // (an FSI right before a code span: nothing)
      last = pattern.lastIndex;
    }
    if (last < text.length) nodes.push(text.slice(last).replace(/\u2069/g, ""));
    return nodes;
  }

  // Text as a person reads it: entities decoded, :emoji: names shown, isolates as <bdi>.
  function shown(text) {
    return isolated(emoji(decode(text)));
  }

  // Slack's <!date^UNIX^FORMAT|fallback>, written as Slack does: in the reader's own time
  // zone and clock (here, the browser's), never the UTC fallback.
  function slackDate(target, fallback) {
    const parts = target.split("^");
    const seconds = Number(parts[1]);
    if (!Number.isFinite(seconds)) return el("time", {}, fallback);
    const when = new Date(seconds * 1000);
    const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    const today = day(new Date());
    const offset = Math.round((day(when) - today) / 86400000);
    // In the page's language, as Slack writes dates in the reader's.
    const lang = [locale()];
    const pretty = offset === 0 ? t("playground.date.today") : offset === -1
      ? t("playground.date.yesterday") : offset === 1 ? t("playground.date.tomorrow")
        : when.toLocaleDateString(lang, { month: "short", day: "numeric" });
    const words = {
      date_short_pretty: pretty,
      date_short: when.toLocaleDateString(lang, { month: "short", day: "numeric", year: "numeric" }),
      date: when.toLocaleDateString(lang, { month: "long", day: "numeric", year: "numeric" }),
      date_num: when.toLocaleDateString(lang),
      time: clock(when),
    };
    const format = parts[2] || "{date_short_pretty} {time}";
    const text = format.replace(/\{([a-z_]+)\}/g, (all, name) => words[name] || all);
    return el("time", { datetime: when.toISOString(), title: when.toString(), dir: "auto" }, text);
  }

  // A time of day in the page's language: "03:14 PM" in English, "15:14" in Hebrew.
  function clock(when) {
    const lang = locale();
    const options = lang === "en" ? { hour: "2-digit", minute: "2-digit" }
      : { hour: "numeric", minute: "2-digit", hourCycle: "h23" };
    return when.toLocaleTimeString([lang], options);
  }

  // *bold* _italic_ ~strike~ `code` inside one run of text (no links in it).
  function styled(text, into) {
    const pattern = /```([\s\S]+?)```|`([^`\n]+)`|\*([^*\n]+)\*|_([^_\n]+)_|~([^~\n]+)~/g;
    let last = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) into.append(...shown(text.slice(last, match.index)));
      // Code reads in its own direction, isolated: `/desk reopen 1042` in a Hebrew line
      // keeps its slash in front (the catalogue's FSI…PDI around it may not reach here
      // as one piece of text).
      if (match[1] !== undefined) into.append(el("pre", { dir: "auto" }, decode(match[1])));
      else if (match[2] !== undefined) into.append(el("code", { dir: "auto" }, decode(match[2])));
      else if (match[3] !== undefined) into.append(el("strong", {}, shown(match[3])));
      else if (match[4] !== undefined) into.append(el("em", {}, shown(match[4])));
      else into.append(el("s", {}, shown(match[5])));
      last = pattern.lastIndex;
    }
    if (last < text.length) into.append(...shown(text.slice(last)));
  }

  // Links, mentions and styles within one line.
  function inline(text, names, out) {
    const pattern = /<([^<>]+)>/g;
    let last = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > last) styled(text.slice(last, match.index), out);
      const inner = match[1];
      const bar = inner.indexOf("|");
      const target = bar < 0 ? inner : inner.slice(0, bar);
      const label = bar < 0 ? "" : inner.slice(bar + 1);
      if (target.startsWith("@")) {
        const id = target.slice(1);
        out.append(el("span", { class: "mention", dir: "auto" }, "@" + (label || (names && names[id]) || id)));
      } else if (target.startsWith("#")) {
        out.append(el("span", { class: "mention", dir: "ltr" }, "#" + (label || target.slice(1))));
      } else if (target.startsWith("!date^")) {
        out.append(slackDate(target, decode(label || "")));
      } else if (target.startsWith("!")) {
        out.append(el("span", { class: "mention", dir: "auto" }, "@" + (label || target.slice(1).split("^")[0])));
      } else if (/^(https?:|mailto:)/.test(target)) {
        out.append(el("a", { href: target, target: "_blank", rel: "noopener noreferrer", dir: "auto" },
          decode(label || target)));
      } else {
        styled("<" + inner + ">", out);
      }
      last = pattern.lastIndex;
    }
    if (last < text.length) styled(text.slice(last), out);
  }

  // Slack's mrkdwn: <@U…>, <#C…|name>, <!here>, <url|label>, styles, > quotes, newlines.
  // Inline (dir=auto): the block holding it (`run`) takes the same direction for its
  // alignment; each line of it is laid out by its own first strong letter (CSS
  // unicode-bidi: plaintext).
  function mrkdwn(text, names) {
    const out = el("span", { class: "mrkdwn", dir: "auto" });
    let quote = null;
    const quotes = [];
    (text || "").split("\n").forEach((line, index) => {
      if (line.startsWith(">")) {
        if (!quote) {
          quote = el("blockquote");
          quotes.push(quote);
          out.append(quote);
        } else {
          quote.append("\n");
        }
        inline(line.slice(1), names, quote);
        return;
      }
      if (index > 0 && !quote) out.append("\n");
      quote = null;
      inline(line, names, out);
    });
    for (const q of quotes) q.setAttribute("dir", strongDir(q) || "auto");
    return out;
  }

  // A text object's words, inline (the caller's `run` gives the direction).
  function textObject(obj, names) {
    if (!obj) return el("span");
    if (obj.type === "mrkdwn") return mrkdwn(obj.text, names);
    return el("span", { class: "plain", dir: "auto" }, isolated(emoji(obj.text || "")));
  }

  function options(element) {
    const all = [...(element.options || [])];
    for (const group of element.option_groups || []) all.push(...(group.options || []));
    return all;
  }

  // One interactive element. `act(element, index, extra)` sends the click.
  function element(elem, where, ctx) {
    const label = elem.placeholder ? elem.placeholder.text : (elem.text ? elem.text.text : elem.type);
    const send = (extra) => ctx.act(Object.assign({ action_id: elem.action_id }, where, extra));
    switch (elem.type) {
      case "button": {
        const cls = "btn" + (elem.style ? " btn-" + elem.style : "");
        if (elem.url) {
          return run("a", { class: cls, href: elem.url, target: "_blank", rel: "noopener noreferrer" },
            textObject(elem.text));
        }
        return run("button", {
          type: "button", class: cls,
          onclick: () => {
            if (elem.confirm && !window.confirm(
              (elem.confirm.title ? elem.confirm.title.text + "\n\n" : "") +
              decode(elem.confirm.text ? elem.confirm.text.text : t("playground.are_you_sure")))) return;
            send({});
          },
        }, textObject(elem.text));
      }
      case "static_select":
      case "external_select":
      case "overflow":
      case "users_select":
      case "conversations_select":
      case "channels_select": {
        let choices;
        if (elem.type === "users_select") {
          choices = ctx.people.map((p) => ({ value: p.id, text: p.real_name }));
        } else if (elem.type === "conversations_select" || elem.type === "channels_select") {
          choices = ctx.channels.filter((c) => !c.is_im).map((c) => ({ value: c.id, text: "#" + c.name }));
        } else {
          choices = options(elem).map((o) => ({ value: o.value, text: o.text.text }));
        }
        const initial = elem.initial_option ? elem.initial_option.value
          : (elem.initial_user || elem.initial_conversation || elem.initial_channel || "");
        const aria = elem.type === "overflow" ? t("playground.more_actions") : label;
        const select = el("select", {
          class: "select" + (elem.type === "overflow" ? " overflow" : ""), "aria-label": aria,
          "data-action": elem.action_id,
        }, el("option", { value: "" }, elem.type === "overflow" ? "⋯" : label + " …"),
          choices.map((c) => run("option", { value: c.value, selected: c.value === initial }, c.text)));
        if (ctx.inForm) {
          select.dataset.kind = elem.type;
          return select;
        }
        select.addEventListener("change", () => {
          if (select.value) send({ option: select.value });
        });
        return select;
      }
      case "plain_text_input": {
        const attrs = { class: "input", dir: "auto", "data-kind": elem.type, "aria-label": label,
          placeholder: elem.placeholder ? elem.placeholder.text : "" };
        const field = elem.multiline ? el("textarea", Object.assign({ rows: 4 }, attrs))
          : el("input", Object.assign({ type: "text" }, attrs));
        if (elem.initial_value) field.value = elem.initial_value;
        return field;
      }
      case "datepicker": {
        const field = el("input", { type: "date", class: "input", "aria-label": label });
        if (!ctx.inForm) field.addEventListener("change", () => send({ option: field.value }));
        return field;
      }
      case "datetimepicker": {
        // Slack's picker: the reader's own zone; it sends the moment as a Unix time.
        const field = el("input", { type: "datetime-local", class: "input",
          "aria-label": label, "data-action": elem.action_id });
        if (elem.initial_date_time) {
          const at = new Date(elem.initial_date_time * 1000);
          const pad = (n) => String(n).padStart(2, "0");
          field.value = at.getFullYear() + "-" + pad(at.getMonth() + 1) + "-" + pad(at.getDate())
            + "T" + pad(at.getHours()) + ":" + pad(at.getMinutes());
        }
        field.addEventListener("change", () => {
          const moment = new Date(field.value).getTime();
          if (!Number.isNaN(moment)) send({ option: String(Math.floor(moment / 1000)) });
        });
        return field;
      }
      case "image":
        return el("img", { src: elem.image_url, alt: elem.alt_text || "", class: "image-el" });
      default:
        return el("span", { class: "unsupported" }, "[" + elem.type + "]");
    }
  }

  // Blocks into a container. `where` says where a click came from (message, home…).
  function blocks(list, ctx, where) {
    const box = el("div", { class: "blocks" });
    (list || []).forEach((block, index) => {
      const at = (element) => Object.assign({}, where, { block: index, element });
      switch (block.type) {
        case "header":
          box.append(run("h3", { class: "bk-header" }, textObject(block.text)));
          break;
        case "section": {
          const section = el("div", { class: "bk-section" });
          const body = el("div", { class: "bk-section-body" });
          if (block.text) body.append(run("div", { class: "bk-text" }, textObject(block.text, ctx.names)));
          if (block.fields) {
            // The grid reads in its first field's direction; each field in its own.
            const fields = block.fields.map((f) => run("div", { class: "bk-field" }, textObject(f, ctx.names)));
            const grid = el("div", { class: "bk-fields" }, fields);
            grid.setAttribute("dir", (fields[0] && fields[0].getAttribute("dir")) || "auto");
            body.append(grid);
          }
          section.append(body);
          if (block.accessory) {
            section.append(el("div", { class: "bk-accessory" }, element(block.accessory, at("accessory"), ctx)));
          }
          box.append(section);
          break;
        }
        case "context":
          box.append(run("div", { class: "bk-context" }, (block.elements || []).map((e) =>
            e.type === "image" ? el("img", { src: e.image_url, alt: e.alt_text || "", class: "ctx-img" })
              : textObject(e, ctx.names))));
          break;
        case "divider":
          box.append(el("hr", { class: "bk-divider" }));
          break;
        case "actions":
          const controls = (block.elements || []).map((e, i) => element(e, at(i), ctx));
          const first = controls.find((c) => c.getAttribute("dir") === "rtl" || c.getAttribute("dir") === "ltr");
          box.append(el("div", { class: "bk-actions", role: "group", "aria-label": t("playground.actions"),
            dir: first ? first.getAttribute("dir") : "auto" }, controls));
          break;
        case "input": {
          const id = "in-" + (block.block_id || index);
          const control = element(block.element, at("element"), Object.assign({}, ctx, { inForm: true }));
          control.id = id;
          control.dataset.block = block.block_id || "";
          control.dataset.action = block.element.action_id || "";
          const errorId = id + "-error";
          control.setAttribute("aria-describedby", errorId);
          box.append(el("div", { class: "bk-input" },
            run("label", { for: id }, block.label ? isolated(block.label.text) : ""),
            block.hint ? run("p", { class: "hint" }, isolated(block.hint.text)) : null,
            control,
            el("p", { class: "error", id: errorId, "data-error-for": block.block_id || "" })));
          break;
        }
        case "image":
          box.append(el("img", { src: block.image_url, alt: block.alt_text || "", class: "bk-image" }));
          break;
        default:
          box.append(el("div", { class: "unsupported" }, "[" + block.type + " block]"));
      }
    });
    return box;
  }

  window.BlockKit = { el, run, strongDir, mrkdwn, blocks, textObject, clock };
})();
