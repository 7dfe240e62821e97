// The page's own words, from deskbot's catalogues (cards/locales/*.json, keys
// playground.*), which the server puts into the page in every language it speaks.
// PageWords.use(lang) picks one: the page's lang and dir follow, and every element
// marked data-t (text), data-t-placeholder or data-t-aria-label gets its words again.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("page-words").textContent);
  const KEY = "playground.lang";
  let lang = data.default;

  function table() {
    return data.languages[lang].words;
  }

  function fill(template, values) {
    return template.replace(/\{([a-z_]+)\}/g, (all, name) =>
      values && values[name] !== undefined ? String(values[name]) : all);
  }

  function pluralForm(count) {
    try {
      return new Intl.PluralRules(lang).select(count);
    } catch (error) {
      return count === 1 ? "one" : "other";
    }
  }

  // The words of `key` with its {placeholders} filled; `values.count` picks the plural
  // form (key.zero, key.one, key.two…, then key.other) as cards.i18n does.
  function t(key, values) {
    const words = table();
    const english = data.languages[data.default].words;
    const tried = [];
    if (values && typeof values.count === "number") {
      if (values.count === 0) tried.push(key + ".zero");
      tried.push(key + "." + pluralForm(values.count), key + ".other");
    }
    tried.push(key);
    for (const name of tried) {
      if (words[name] !== undefined) return fill(words[name], values);
    }
    for (const name of tried) {
      if (english[name] !== undefined) return fill(english[name], values);
    }
    return key;
  }

  // A language for dates and times the browser knows (the pseudo-locale's is English).
  function locale() {
    try {
      return Intl.DateTimeFormat.supportedLocalesOf([lang]).length ? lang : data.default;
    } catch (error) {
      return data.default;
    }
  }

  function apply(root) {
    const where = root || document;
    for (const node of where.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
    for (const node of where.querySelectorAll("[data-t-placeholder]")) {
      node.setAttribute("placeholder", t(node.dataset.tPlaceholder));
    }
    for (const node of where.querySelectorAll("[data-t-aria-label]")) {
      node.setAttribute("aria-label", t(node.dataset.tAriaLabel));
    }
  }

  // Use `wanted` (when the page has its words): <html lang dir>, the marked elements.
  function use(wanted, { remember = true } = {}) {
    if (!data.languages[wanted]) return false;
    lang = wanted;
    document.documentElement.lang = lang;
    document.documentElement.dir = data.languages[lang].dir;
    apply(document);
    if (remember) {
      try {
        localStorage.setItem(KEY, lang);
      } catch (error) { /* private mode: the URL still says it */ }
      const url = new URL(location.href);
      url.searchParams.set("lang", lang);
      history.replaceState(null, "", url);
    }
    return true;
  }

  // The language asked for: ?lang=, else what was chosen last time; null when none was.
  function chosen() {
    const asked = new URLSearchParams(location.search).get("lang");
    let kept = null;
    try {
      kept = localStorage.getItem(KEY);
    } catch (error) { /* none kept */ }
    return [asked, kept].find((l) => l && data.languages[l]) || null;
  }

  // The switch's choices, each named in its own language ("English", "עברית").
  function choices() {
    return data.switch.map((l) => ({ lang: l, name: data.languages[l].words["playground.language_name"] }));
  }

  use(chosen() || data.default, { remember: false });
  window.PageWords = { t, use, apply, choices, chosen, lang: () => lang, locale };
})();
