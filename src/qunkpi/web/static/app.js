/* qunkpi dashboard: every page loads its data from /api/v1 and draws ECharts options the API returns.
   No inline script anywhere (the CSP forbids it); strings come from the #i18n JSON block or the API itself. */
(function () {
  'use strict';
  var T = JSON.parse(document.getElementById('i18n').textContent);
  var body = document.body;
  var page = body.dataset.page;
  var lang = body.dataset.lang;
  var params = new URLSearchParams(location.search);
  var charts = [];
  var COLS = lang === 'en' ? {} : {
    member_id: '成员', joined_at: '入群时间', tenure_days: '在群天数', last_message_at: '最后发言', silent_days: '沉默窗口(天)',
    effective_messages: '有效消息', active_days: '活跃天数', chars: '字数', answers_shares: '回答/分享', pr_messages: '消息百分位',
    pr_days: '天数百分位', member_score: '活跃分', effective_before: '此前有效消息', last_effective_at: '最后有效发言',
    days_since_last_message: '距最后发言(天)', staff_id: '员工'
  };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'cls') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }

  function api(path, extra) {
    var q = new URLSearchParams();
    if (params.get('period')) q.set('period', params.get('period'));
    q.set('lang', lang);
    Object.keys(extra || {}).forEach(function (k) {
      var v = extra[k];
      if (Array.isArray(v)) v.forEach(function (x) { q.append(k, x); }); else if (v != null) q.set(k, v);
    });
    return fetch('/api/v1' + path + '?' + q.toString(), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (r.status === 401) { location.href = '/login?next=' + encodeURIComponent(location.pathname + location.search); throw new Error('401'); }
        if (!r.ok) return r.json().then(function (j) { throw new Error(j.detail || r.status); });
        return r.json();
      });
  }

  function chart(id, option, keepTitle) {
    var node = typeof id === 'string' ? document.getElementById(id) : id;
    if (!node || !option) return null;
    if (!keepTitle && option.title && node.closest('.panel')) {  // the panel heading already names the chart
      option = Object.assign({}, option, { title: { show: false } });
      if (option.grid) option.grid = Object.assign({}, option.grid, { top: Math.max(24, option.grid.top - 16) });
    }
    var c = echarts.init(node, null, { renderer: 'canvas' });
    c.setOption(option);
    node.dataset.rendered = '1';
    charts.push(c);
    return c;
  }
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });

  function note(id, text) { var n = document.getElementById(id); if (n) n.textContent = text || ''; }

  function unavailable(id, section) {
    var n = document.getElementById(id);
    if (n) { n.textContent = section.reason || T.na; n.classList.add('na'); }
  }

  function badge(k) { return el('span', { cls: 'badge s-' + k.status, text: k.status_text }); }

  function deltaText(k) {
    if (k.delta == null) return '';
    var d = k.delta, u = k.unit;
    var s = u === 'ratio' ? (d * 100).toFixed(1) + ' pp' : (u === 'count' || Math.abs(d) >= 100 ? d.toFixed(0) : d.toFixed(2));
    return (d > 0 ? '▲ +' : d < 0 ? '▼ ' : '＝ ') + s;
  }

  function deltaCls(k) {
    if (k.delta == null || k.delta === 0 || k.direction === 'neutral') return 'flat';
    var good = (k.delta > 0) === (k.direction !== 'lower');
    return good ? 'up' : 'down';
  }

  function refText(k) {
    if (k.target && k.target.value != null) return T.target + ' ' + (k.target.text || k.target.value);
    if (k.benchmark) return T.benchmark + ' ' + k.benchmark.text;
    return '';
  }

  function showCompare() { var c = document.getElementById('compare'); return !c || c.checked; }

  function table(target, columns, rows) {
    var node = typeof target === 'string' ? document.getElementById(target) : target;
    var thead = el('thead', null, [el('tr', null, columns.map(function (c) { return el('th', { text: c.title }); }))]);
    var tbody = el('tbody', null, rows.map(function (r) {
      return el('tr', null, columns.map(function (c) {
        var v = c.render ? c.render(r) : r[c.key];
        if (v instanceof Node) return el('td', { cls: c.cls || '' }, [v]);
        return el('td', { cls: c.cls || '', text: v == null ? '' : String(v) });
      }));
    }));
    var t = el('table', { cls: 'tbl' }, [thead, tbody]);
    node.innerHTML = '';
    node.appendChild(t);
    return t;
  }

  /* ---------- period picker ---------- */
  function setupToolbar(after) {
    var grain = document.getElementById('grain');
    if (!grain) { after(); return; }
    var sel = document.getElementById('period');
    var custom = document.getElementById('custom');
    var cmp = document.getElementById('compare');
    if (params.get('compare') === '0') cmp.checked = false;
    cmp.addEventListener('change', function () {
      params.set('compare', cmp.checked ? '1' : '0');
      history.replaceState(null, '', '?' + params.toString());
      document.body.classList.toggle('no-compare', !cmp.checked);
    });
    document.body.classList.toggle('no-compare', !cmp.checked);
    api('/periods').then(function (p) {
      var current = params.get('period') || p['default'];
      var g = null;
      Object.keys(p.choices).forEach(function (k) {
        p.choices[k].forEach(function (c) { if (c.label === current) g = k; });
      });
      if (!g) {  // a period outside the offered list (typed into the URL): recognise its grain and offer it
        g = /^\d{4}-\d{1,2}$/.test(current) ? 'month' : /W\d+$/i.test(current) ? 'week' : /Q[1-4]$/i.test(current) ? 'quarter' : 'custom';
        if (g !== 'custom') p.choices[g].unshift({ label: current, text: current });
      }
      grain.value = g;
      function fill() {
        sel.innerHTML = '';
        custom.hidden = grain.value !== 'custom';
        sel.hidden = grain.value === 'custom';
        (p.choices[grain.value] || []).forEach(function (c) {
          var o = el('option', { value: c.label, text: c.text });
          if (c.label === current) o.selected = true;
          sel.appendChild(o);
        });
      }
      fill();
      if (g === 'custom' && current.indexOf('..') > 0) {
        document.getElementById('from').value = current.split('..')[0];
        document.getElementById('to').value = current.split('..')[1];
      }
      function go(label) { params.set('period', label); location.search = '?' + params.toString(); }
      grain.addEventListener('change', function () {
        fill();
        if (grain.value !== 'custom' && sel.options.length) go(sel.options[0].value);
      });
      sel.addEventListener('change', function () { go(sel.value); });
      document.getElementById('apply-custom').addEventListener('click', function () {
        var a = document.getElementById('from').value, b = document.getElementById('to').value;
        if (a && b) go(a + '..' + b);
      });
      note('period-note', (lang === 'en' ? 'data until ' : '数据截至 ') + p.data_end.slice(0, 10));
      if (!params.get('period')) params.set('period', current);
      after();
    }).catch(function (e) { note('period-note', T.error + ': ' + e.message); });
  }

  /* ---------- overview ---------- */
  function sparkOf(d, k) {  // the shared sparkline template with this KPI's data (api.overview_payload)
    if (!d.spark || !k.spark) return null;
    var o = JSON.parse(JSON.stringify(d.spark));
    o.series[0].data = k.spark;
    o.xAxis.data = k.spark.map(function (_, i) { return i; });
    return o;
  }

  function overview() {
    var filter = document.getElementById('community-filter');
    var wanted = params.get('community');
    api('/overview', { community: wanted ? [wanted] : null }).then(function (d) {
      note('period-label', d.period.label + (showCompare() ? '  vs  ' + d.previous.label : ''));
      if (!d.alerts_available) note('alerts-note', d.alerts_reason);
      var cards = document.getElementById('cards');
      cards.innerHTML = '';
      if (!d.communities.length) cards.appendChild(el('p', { cls: 'muted', text: T.nodata }));
      d.communities.forEach(function (c) {
        var ns = c.north_star;
        var spark = el('div', { cls: 'spark', 'data-chart': 'spark' });
        var head = el('div', { cls: 'card-head' }, [
          el('a', { href: '/community/' + encodeURIComponent(c.community_id) + '?' + params.toString(), cls: 'cname', text: c.name }),
          el('span', { cls: 'muted', text: ' ' + c.community_id + ' · ' + c.purpose_text + ' · ' + c.stage_text }),
          el('span', { cls: 'alerts-count ' + (c.alert_count ? 'has' : ''), text: T.alerts + ': ' + (c.alert_count == null ? T.na : c.alert_count) })
        ]);
        var nsBox = el('div', { cls: 'ns' }, [
          el('div', { cls: 'ns-label', text: T.northstar + ' · ' + ns.name }),
          el('div', { cls: 'ns-value', text: ns.text }),
          el('div', null, [badge(ns), el('span', { cls: 'ref', text: ' ' + refText(ns) })]),
          el('div', { cls: 'cmp-only delta ' + deltaCls(ns), text: T.previous + ' ' + ns.previous_text + '  ' + deltaText(ns) }),
          spark
        ]);
        var tbl = el('div');
        var card = el('div', { cls: 'card', 'data-community': c.community_id }, [head, el('div', { cls: 'card-body' }, [nsBox, tbl])]);
        cards.appendChild(card);
        if (!c.has_plan) card.appendChild(el('p', { cls: 'muted small', text: lang === 'en' ? 'No KPI plan yet: status is against the seeds\' benchmarks.' : '尚无 KPI 计划：状态按种子文档基准判断。' }));
        chart(spark, sparkOf(d, ns));
        table(tbl, [
          { title: T.metric, render: function (k) { return el('span', { title: k.definition || ((d.metrics || {})[k.metric] || {}).definition, text: k.name }); } },
          { title: T.value, key: 'text', cls: 'num' },
          { title: T.previous, key: 'previous_text', cls: 'num cmp-only' },
          { title: T.delta, render: function (k) { return el('span', { cls: 'delta ' + deltaCls(k), text: deltaText(k) }); }, cls: 'num cmp-only' },
          { title: T.benchmark + ' / ' + T.target, render: refText },
          { title: T.status, render: badge },
          { title: T.trend, render: function (k) { var s = el('div', { cls: 'spark-sm' }); setTimeout(function () { chart(s, sparkOf(d, k)); }, 0); return s; } }
        ], c.kpis);
      });
    }).catch(function (e) { note('cards', T.error + ': ' + e.message); });
    if (filter) {
      api('/communities').then(function (list) {
        list.forEach(function (c) {
          var o = el('option', { value: c.community_id, text: c.name + ' (' + c.community_id + ')' });
          if (c.community_id === wanted) o.selected = true;
          filter.appendChild(o);
        });
        filter.addEventListener('change', function () {
          if (filter.value) params.set('community', filter.value); else params.delete('community');
          location.search = '?' + params.toString();
        });
      });
    }
  }

  /* ---------- one community ---------- */
  function alertsBlock(target, a) {
    var node = document.getElementById(target);
    node.innerHTML = '';
    if (!a.available) { node.appendChild(el('p', { cls: 'muted na', text: a.reason })); return; }
    if (!a.items.length) { node.appendChild(el('p', { cls: 'muted', text: T.noalerts })); return; }
    var list = el('ul', { cls: 'alerts' });
    a.items.forEach(function (x) {
      var sev = x.severity || x.level || '';
      var ev = (x.evidence || []).map(function (e) { return e.title + ': ' + e.total; }).join(' · ');
      list.appendChild(el('li', { cls: 'sev-' + sev }, [
        el('span', { cls: 'badge', text: sev }),
        el('strong', { text: ' ' + (x.title || x.rule || x.metric || '') + ' ' }),
        el('span', { text: x.message || x.text || '' }),
        x.action ? el('div', { cls: 'action', text: '→ ' + x.action }) : null,
        ev ? el('div', { cls: 'muted small', text: (lang === 'en' ? 'Rows behind it: ' : '依据：') + ev }) : null
      ]));
    });
    node.appendChild(list);
  }

  function community() {
    var cid = body.dataset.community;
    var base = '/communities/' + encodeURIComponent(cid);
    api(base).then(function (d) {
      document.getElementById('community-title').textContent = d.community.name + ' · ' + d.period.label + (showCompare() ? '  vs  ' + d.previous.label : '');
      note('community-sub', d.community.community_id + ' · ' + d.community.purpose_text + ' · ' + d.community.stage_text);
      var pd = d.plan.details;
      note('plan-note', d.plan.reason || ((lang === 'en' ? 'Plan ' : '计划 ') + (pd.name || '') + ' · ' + pd.start + ' → ' + pd.deadline +
        (pd.actions && pd.actions.length ? (lang === 'en' ? ' · North Star actions: ' : ' · 北极星动作：') + pd.actions.join(lang === 'en' ? '; ' : '；') : '') +
        (pd.relation ? ' · ' + pd.relation : '')));
      var ns = d.north_star;
      var card = document.getElementById('ns-card');
      card.appendChild(el('div', { cls: 'ns-label', text: T.northstar + ' · ' + ns.name }));
      card.appendChild(el('div', { cls: 'ns-value', text: ns.text }));
      card.appendChild(el('div', null, [badge(ns), el('span', { cls: 'ref', text: ' ' + refText(ns) })]));
      card.appendChild(el('div', { cls: 'cmp-only delta ' + deltaCls(ns), text: T.previous + ' ' + ns.previous_text + '  ' + deltaText(ns) }));
      card.appendChild(el('p', { cls: 'muted small', text: ns.definition }));
      chart('ns-chart', ns.chart);
      alertsBlock('alerts-body', d.alerts);
      var fams = document.getElementById('families-body');
      d.families.forEach(function (f) {
        var box = el('div', { cls: 'family', 'data-family': f.family }, [el('h3', { text: f.name })]);
        var tdiv = el('div');
        box.appendChild(tdiv);
        var grid = el('div', { cls: 'minis' });
        box.appendChild(grid);
        fams.appendChild(box);
        table(tdiv, [
          { title: T.metric, render: function (k) { return el('span', { title: k.definition, text: k.name }); } },
          { title: '', render: function (k) { return T[k.kind] || k.kind; }, cls: 'muted' },
          { title: T.value, render: function (k) { return k.value == null && k.reason ? el('span', { cls: 'muted', title: k.reason, text: 'n/a' }) : k.text; }, cls: 'num' },
          { title: T.previous, key: 'previous_text', cls: 'num cmp-only' },
          { title: T.delta, render: function (k) { return el('span', { cls: 'delta ' + deltaCls(k), text: deltaText(k) }); }, cls: 'num cmp-only' },
          { title: T.benchmark + ' / ' + T.target, render: refText },
          { title: T.status, render: badge }
        ], f.metrics);
        f.metrics.filter(function (k) { return k.trend.some(function (v) { return v != null; }) && (k.benchmark || k.target || k.metric === ns.metric); })
          .forEach(function (k) { var c = el('div', { cls: 'chart mini' }); grid.appendChild(c); chart(c, k.chart, true); });
      });
      if (d.waterfall.available) chart('waterfall-chart', d.waterfall.chart); else unavailable('waterfall-note', d.waterfall);
      if (d.sources.available) chart('sources-chart', d.sources.chart); else unavailable('sources-note', d.sources);
    }).catch(function (e) { note('plan-note', T.error + ': ' + e.message); });
    api(base + '/heatmap').then(function (h) { if (h.available) chart('heatmap-chart', h.chart); else unavailable('heatmap-note', h); });
    api(base + '/cohorts').then(function (h) { if (h.available && h.chart) chart('cohort-chart', h.chart); else unavailable('cohort-note', h); });
    api(base + '/topics').then(function (h) {
      if (h.available && h.chart) { chart('topics-chart', h.chart); note('topics-note', h.note); } else unavailable('topics-note', h.available ? { reason: T.nodata } : h);
    });
    api(base + '/activities').then(function (a) {
      if (!a.available) { unavailable('activities-note', a); return; }
      if (!a.items.length) { note('activities-note', T.nodata); return; }
      chart('activities-chart', a.chart);
      table('activities-table', [
        { title: lang === 'en' ? 'Activity' : '活动', key: 'name' },
        { title: lang === 'en' ? 'Start' : '开始', render: function (r) { return (r.start_at || '').slice(0, 16); } },
        { title: lang === 'en' ? 'Notified' : '触达', key: 'notified_count', cls: 'num' },
        { title: lang === 'en' ? 'Participants' : '参与', key: 'participants', cls: 'num' },
        { title: lang === 'en' ? 'Participation' : '参与率', key: 'participation_text', cls: 'num' },
        { title: lang === 'en' ? 'Conversion' : '转化率', key: 'conversion_text', cls: 'num' }
      ], a.items);
    });
    api(base + '/members').then(function (m) {
      var node = document.getElementById('members-body');
      if (!m.available) { node.appendChild(el('p', { cls: 'muted na', text: m.reason })); return; }
      var names = { silent: lang === 'en' ? 'Silent members to wake up' : '待唤醒的沉默成员', koc: lang === 'en' ? 'KOC candidates' : 'KOC 候选', churn_risk: lang === 'en' ? 'Churn risks' : '流失风险' };
      Object.keys(m.lists).forEach(function (k) {
        var l = m.lists[k];
        var box = el('div', { cls: 'mlist' }, [
          el('h3', null, [names[k] + ' (' + (l.count == null ? T.na : l.count) + ') ',
            el('a', { href: '/api/v1' + base + '/members/' + k + '.csv?period=' + encodeURIComponent(params.get('period') || '') + '&lang=' + lang, cls: 'dl', text: T.download })])
        ]);
        var t = el('div');
        box.appendChild(t);
        node.appendChild(box);
        if (l.reason) box.appendChild(el('p', { cls: 'muted na', text: l.reason }));
        if (l.rows.length) {
          var cols = Object.keys(l.rows[0]).filter(function (c) { return c !== 'community_id' && c !== 'period'; }).slice(0, 7)
            .map(function (c) { return { title: COLS[c] || c, render: function (r) { var v = r[c]; return typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : (typeof v === 'string' && v.length > 19 ? v.slice(0, 19) : v); } }; });
          table(t, cols, l.rows.slice(0, 10));
          if (l.count > 10) box.appendChild(el('p', { cls: 'muted small', text: (lang === 'en' ? 'First 10 of ' : '前 10 / 共 ') + l.count + (lang === 'en' ? '; download the CSV for all.' : ' 人，完整名单请下载 CSV。') }));
        }
      });
    });
  }

  /* ---------- content accounts ---------- */
  function content() {
    api('/content').then(function (c) {
      if (!c.available) { unavailable('content-note', c); return; }
      note('period-label', c.period.label);
      note('content-note', (lang === 'en' ? 'Accounts: ' : '账号：') + c.accounts.join(', ') + ' · ' + c.funnel_note);
      chart('funnel-chart', c.funnel_chart);
      if (c.followers.available && c.followers.chart) chart('followers-chart', c.followers.chart); else unavailable('followers-note', c.followers.available ? { reason: T.nodata } : c.followers);
      table('posts-table', [
        { title: lang === 'en' ? 'Published' : '发布时间', render: function (r) { return (r.published_at || '').slice(0, 16); } },
        { title: lang === 'en' ? 'Account' : '账号', key: 'account_id' },
        { title: lang === 'en' ? 'Title' : '标题', render: function (r) { return el('span', null, [r.title || '', r.quality ? el('span', { cls: 'badge s-met', text: lang === 'en' ? 'quality' : '优质' }) : null]); } },
        { title: lang === 'en' ? 'Kind' : '类型', key: 'kind' },
        { title: lang === 'en' ? 'Delivered' : '送达', key: 'delivered', cls: 'num' },
        { title: lang === 'en' ? 'Read' : '阅读', key: 'read_users', cls: 'num' },
        { title: lang === 'en' ? 'Open rate' : '打开率', key: 'open_rate_text', cls: 'num' },
        { title: lang === 'en' ? 'Share rate' : '分享率', key: 'share_rate_text', cls: 'num' },
        { title: lang === 'en' ? 'Read from shares' : '二次传播占比', key: 'secondary_share_text', cls: 'num' }
      ], c.posts);
    }).catch(function (e) { note('content-note', T.error + ': ' + e.message); });
  }

  /* ---------- appraisal ---------- */
  function appraisal() {
    api('/appraisal').then(function (a) {
      if (!a.available) { unavailable('appraisal-note', a); return; }
      if (!a.rows.length) { note('appraisal-note', T.nodata); return; }
      var cols = Object.keys(a.rows[0]).filter(function (k) { return typeof a.rows[0][k] !== 'object' || a.rows[0][k] === null; })
        .map(function (k) { return { title: COLS[k] || k, render: function (r) { var v = r[k]; return typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : v; } }; });
      table('appraisal-table', cols, a.rows);
    }).catch(function (e) { note('appraisal-note', T.error + ': ' + e.message); });
  }

  /* ---------- glossary ---------- */
  function glossary() {
    api('/glossary').then(function (rows) {
      var t = table('glossary-table', [
        { title: 'id', render: function (r) { return el('code', { text: r.id }); } },
        { title: lang === 'en' ? 'Name' : '名称', render: function (r) { return lang === 'en' ? r.name_en + ' (' + r.name_zh + ')' : r.name_zh + '（' + r.name_en + '）'; } },
        { title: lang === 'en' ? 'Family' : '族', key: 'family_name' },
        { title: lang === 'en' ? 'Kind' : '类型', render: function (r) { return T[r.kind] || r.kind; } },
        { title: lang === 'en' ? 'Unit' : '单位', key: 'unit' },
        { title: lang === 'en' ? 'Definition' : '定义', key: 'definition' },
        { title: lang === 'en' ? 'Benchmarks' : '基准', render: function (r) { return r.benchmarks.map(function (b) { return b.text + (b.purpose ? ' ' + b.purpose : '') + (b.stage ? ' ' + b.stage : '') + (b.note ? ' (' + b.note + ')' : ''); }).join('; '); } }
      ], rows);
      var f = document.getElementById('glossary-filter');
      f.addEventListener('input', function () {
        var q = f.value.toLowerCase();
        Array.prototype.forEach.call(t.tBodies[0].rows, function (tr) { tr.hidden = q && tr.textContent.toLowerCase().indexOf(q) < 0; });
      });
    });
  }

  var pages = { overview: overview, community: community, content: content, appraisal: appraisal, glossary: glossary };
  if (pages[page]) setupToolbar(pages[page]);
})();
