// 信用查询：在浏览器中查询静态索引。只下载与查询词相关的索引分片和结果所在的数据块。
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var MAX_RESULTS = 50;
  var meta = null;

  // FNV-1a over UTF-8 bytes: the same token hash the generator uses.
  function hash(text) {
    var bytes = new TextEncoder().encode(text);
    var h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      h ^= bytes[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  function normalise(text) {
    var out = "";
    var s = text.normalize("NFKC").toUpperCase();
    for (var i = 0; i < s.length; i++) {
      var c = s[i];
      if (!/[\s\-_〔〕【】\[\]（）()“”"'·.,，。;；:：、]/.test(c)) out += c;
    }
    return out;
  }

  function tokens(text) {
    var chars = Array.from(text);
    var out = [];
    if (chars.length === 1) out.push(chars[0]);
    for (var i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
    return out;
  }

  function getJson(url) {
    return fetch(url, { cache: "no-cache" }).then(function (r) {
      if (!r.ok) throw new Error(url + " " + r.status);
      return r.json();
    });
  }

  function loadMeta() {
    if (meta) return Promise.resolve(meta);
    return getJson("/search/meta.json").then(function (m) { meta = m; return m; });
  }

  function postings(keys) {
    var shards = {};
    keys.forEach(function (k) { shards[k % meta.shards] = true; });
    return Promise.all(Object.keys(shards).map(function (s) {
      return getJson("/search/t/" + s + ".json");
    })).then(function (parts) {
      var merged = {};
      parts.forEach(function (p) { for (var k in p) merged[k] = p[k]; });
      return keys.map(function (k) { return merged[String(k)] || []; });
    });
  }

  function intersect(lists) {
    lists.sort(function (a, b) { return a.length - b.length; });
    var result = lists[0] || [];
    for (var i = 1; i < lists.length; i++) {
      var set = new Set(lists[i]);
      result = result.filter(function (id) { return set.has(id); });
    }
    return result;
  }

  function documents(ids) {
    var chunks = {};
    ids.forEach(function (id) { chunks[Math.floor(id / meta.chunk)] = true; });
    return Promise.all(Object.keys(chunks).map(function (c) {
      return getJson("/search/d/" + c + ".json");
    })).then(function (parts) {
      var docs = {};
      parts.forEach(function (p) { for (var k in p) docs[k] = p[k]; });
      return ids.map(function (id) { return [id, docs[String(id)]]; })
        .filter(function (pair) { return pair[1]; });
    });
  }

  function show(query, found) {
    list.textContent = "";
    found.forEach(function (pair) {
      var id = pair[0], d = pair[1];
      var ds = meta.datasets[d[3]];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/publicity/" + ds.id + "/" + id + ".html";
      a.textContent = d[0];
      li.appendChild(a);
      var span = document.createElement("span");
      span.className = "meta";
      span.textContent = [ds.title, d[1], d[2], d[4]].filter(Boolean).join(" · ");
      li.appendChild(span);
      list.appendChild(li);
    });
    status.textContent = found.length
      ? "“" + query + "”找到 " + found.length + " 条公示信息" + (found.length >= MAX_RESULTS ? "（只显示前 " + MAX_RESULTS + " 条，请输入更完整的名称）" : "") + "。"
      : "没有找到与“" + query + "”相关的公示信息。";
  }

  function search(query) {
    var q = normalise(query);
    if (Array.from(q).length < 2) {
      status.textContent = "请至少输入两个字。";
      return;
    }
    status.textContent = "正在查询……";
    loadMeta().then(function () {
      var keys = [];
      if (/^[0-9A-Z]{18}$/.test(q)) keys.push(hash("=" + q));
      else tokens(q).forEach(function (t) {
        var k = hash(t);
        if (meta.common.indexOf(k) < 0 && keys.indexOf(k) < 0) keys.push(k);
      });
      if (!keys.length) {
        status.textContent = "查询词过于常见，请输入更完整的名称。";
        return null;
      }
      return postings(keys).then(function (lists) {
        var ids = intersect(lists).sort(function (a, b) { return b - a; });
        return documents(ids.slice(0, MAX_RESULTS * 4));
      }).then(function (found) {
        var matched = found.filter(function (pair) {
          var d = pair[1];
          return normalise(d[0]).indexOf(q) >= 0 || normalise(d[2]).indexOf(q) >= 0 || normalise(d[1]) === q;
        });
        show(query, matched.slice(0, MAX_RESULTS));
      });
    }).catch(function () {
      status.textContent = "查询索引加载失败，请稍后再试。";
    });
  }

  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    search(initial);
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    history.replaceState(null, "", "?q=" + encodeURIComponent(q));
    search(q);
  });
})();
