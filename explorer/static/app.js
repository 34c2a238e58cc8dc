// Tally explorer: a read-only view of one node, from its public JSON-RPC.
// The ledger API answers at the origin's root; CometBFT's read-only methods
// and the genesis names at explorer/rpc/; new blocks arrive over the
// websocket at explorer/websocket (with polling while it is down).
'use strict';
(function () {
  const ROOT = location.pathname.replace(/explorer\/.*$/, '');
  const API_URL = ROOT;
  const CHAIN_URL = ROOT + 'explorer/rpc/';
  const WS_URL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + ROOT + 'explorer/websocket';
  const CHART_BLOCKS = 200;
  const SIGNED_BLOCKS = 10;
  const BLOCKS_PER_PAGE = 20;
  const HISTORY_PER_PAGE = 20;

  // ---------- JSON-RPC ----------

  // NodeUnreachable: the node did not answer (stopped, network down).
  class NodeUnreachable extends Error {}
  // RPCError: the node answered with a JSON-RPC error.
  class RPCError extends Error {
    constructor(method, err) {
      const why = (err && (err.data || err.message)) || 'unknown error';
      super(`${method}: ${why}`);
      this.code = err && err.code;
      this.why = String(why);
    }
  }

  let rpcID = 0;
  async function call(url, method, params) {
    let res;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcID, method, params: params || {} }),
        cache: 'no-store',
      });
    } catch (e) {
      throw new NodeUnreachable(`no answer from the node at ${location.host}`);
    }
    let body;
    try {
      body = await res.json();
    } catch (e) {
      if (res.status >= 500 || res.status === 0) throw new NodeUnreachable(`the node at ${location.host} answered HTTP ${res.status}`);
      throw new RPCError(method, { message: `HTTP ${res.status}` });
    }
    if (body.error) throw new RPCError(method, body.error);
    if (body.result === undefined || body.result === null) throw new RPCError(method, { message: 'empty result' });
    return body.result;
  }
  const api = (method, params) => call(API_URL, method, params);
  const chain = (method, params) => call(CHAIN_URL, method, params);

  // ---------- shared state ----------

  const state = {
    status: null, // ledger API status
    chainID: '',
    height: 0,
    names: { byAddr: new Map(), byName: new Map() },
    metas: new Map(), // height -> block meta
    commits: new Map(), // height -> signatures
    unreachable: false,
    live: 'connecting',
  };

  // ---------- DOM helpers (text only: data never becomes HTML) ----------

  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const k in attrs) {
        const v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      e.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return e;
  }
  const dash = '—';
  const show = (v) => (v === null || v === undefined || v === '' ? dash : String(v));

  // group puts thousands separators in a decimal string (amounts can pass 2^53).
  function group(s) {
    s = show(s);
    if (!/^\d+$/.test(s)) return s;
    return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  // count says "1 transaction", "2 transactions", "1,024 blocks".
  function count(n, word) {
    return `${group(String(n))} ${word}${String(n) === '1' ? '' : 's'}`;
  }
  function parseTime(t) {
    if (!t) return null;
    const m = String(t).replace(/(\.\d{3})\d+/, '$1');
    const d = new Date(m);
    return isNaN(d.getTime()) ? null : d;
  }
  function ago(d) {
    if (!d) return dash;
    const s = Math.max(0, Math.round((Date.now() - d.getTime()) / 1000));
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    return `${Math.floor(s / 86400)} d ago`;
  }
  function utc(d) {
    return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : dash;
  }
  function short(hash, n) {
    hash = show(hash);
    n = n || 8;
    return hash.length > 2 * n + 1 ? `${hash.slice(0, n)}…${hash.slice(-n)}` : hash;
  }
  function b64ToBytes(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function nameOf(addr) {
    const n = state.names.byAddr.get(String(addr || '').toUpperCase());
    return n ? n.name : '';
  }
  function acctLink(addr, opts) {
    if (!addr) return dash;
    const name = nameOf(addr);
    const full = opts && opts.full;
    return h('span', { class: name ? 'acct named' : 'acct' },
      h('a', { class: 'hash', href: `#/account/${addr}`, title: addr, 'data-address': addr }, full ? addr : short(addr, 10)),
      name ? ' ' : null, name ? h('a', { class: 'name', href: `#/account/${addr}`, title: addr }, name) : null);
  }
  function valLink(addr) {
    const name = nameOf(addr);
    return h('span', null,
      h('a', { class: 'hash', href: `#/validator/${addr}`, title: addr }, short(addr, 6)),
      name ? ' ' : null, name ? h('span', { class: 'name' }, name) : null);
  }
  const txLink = (hash) => h('a', { class: 'hash', href: `#/tx/${hash}`, title: hash }, short(hash, 8));
  const blockLink = (height) => h('a', { href: `#/block/${height}` }, '#' + group(height));
  function badge(text, kind) {
    return h('span', { class: 'badge' + (kind ? ' ' + kind : '') }, text);
  }
  function resultBadge(code, codespace) {
    return Number(code) === 0 ? badge('Success', 'ok') : badge(`Failed · code ${code}${codespace ? ' (' + codespace + ')' : ''}`, 'bad');
  }
  function card(k, v, s, field) {
    return h('div', { class: 'card' },
      h('div', { class: 'k' }, k),
      h('div', { class: 'v', 'data-field': field || null, title: typeof v === 'string' ? v : null }, v),
      h('div', { class: 's' }, s || '\u00a0'));
  }
  function panel(title, sub, body, extra) {
    return h('section', { class: 'panel' },
      h('div', { class: 'panel-head' }, h('h2', null, title), sub ? h('span', { class: 'sub' }, sub) : null, extra || null),
      body);
  }
  function kv(rows) {
    const dl = h('dl', { class: 'kv' });
    for (const [k, v, field] of rows) {
      dl.appendChild(h('dt', null, k));
      dl.appendChild(h('dd', { 'data-field': field || null }, v === null || v === undefined || v === '' ? dash : v));
    }
    return dl;
  }
  function table(heads, rows, emptyText) {
    if (rows.length === 0) return h('div', { class: 'empty' }, emptyText || 'Nothing here yet.');
    return h('div', { class: 'table-wrap' },
      h('table', null,
        h('thead', null, h('tr', null, heads.map((t) => {
          const [label, cls] = Array.isArray(t) ? t : [t, ''];
          return h('th', { class: cls || null }, label);
        }))),
        h('tbody', null, rows)));
  }
  function td(v, cls, attrs) {
    return h('td', Object.assign({ class: cls || null }, attrs || {}), v === null || v === undefined || v === '' ? dash : v);
  }

  // txSummary says in a few words what a decoded transaction does; seen
  // from the account self (if given), an incoming transfer names its sender.
  function txSummary(tx, self) {
    if (!tx || !tx.tx) return tx && tx.decode_error ? `undecodable: ${tx.decode_error}` : dash;
    const b = tx.tx, m = b.msg || {};
    const incoming = self && m.to === self && b.sender !== self;
    switch (b.type) {
      case 'transfer':
        if (incoming) return h('span', null, `${group(m.amount)} ${show(m.asset)} from `, acctLink(b.sender));
        return h('span', null, `${group(m.amount)} ${show(m.asset)} → `, acctLink(m.to));
      case 'mint':
        if (incoming) return h('span', null, `mint ${group(m.amount)} ${show(m.asset)} by `, acctLink(b.sender));
        return h('span', null, `mint ${group(m.amount)} ${show(m.asset)} → `, acctLink(m.to));
      case 'burn':
        return `burn ${group(m.amount)} ${show(m.asset)}`;
      case 'propose':
        return h('span', null, 'propose ', actionSummary(m.action));
      case 'vote':
        return h('span', null, m.approve ? 'approve ' : 'reject ', h('a', { href: `#/proposal/${m.proposal}` }, `proposal ${show(m.proposal)}`));
      default:
        return show(b.type);
    }
  }
  function actionSummary(a) {
    if (!a) return dash;
    const parts = [a.type];
    if (a.address) parts.push(h('span', null, ' ', acctLink(a.address)));
    if (a.roles && a.roles.length) parts.push(` as ${a.roles.join(', ')}`);
    if (a.role) parts.push(` role ${a.role}`);
    if (a.symbol) parts.push(` ${a.symbol}`);
    if (a.issuer) parts.push(h('span', null, ' issued by ', acctLink(a.issuer)));
    if (a.node_id) parts.push(h('span', { class: 'hash' }, ' ' + short(a.node_id, 6)));
    if (a.power) parts.push(` power ${a.power}`);
    if (a.pub_key) parts.push(h('span', { class: 'hash', title: a.pub_key }, ' ' + short(a.pub_key, 6)));
    if (a.threshold) parts.push(` to ${a.threshold}`);
    if (a.reason) parts.push(` (“${a.reason}”)`);
    return h('span', null, parts);
  }

  // ---------- chain data with caches ----------

  async function loadNames() {
    const r = await chain('names');
    const byAddr = new Map(), byName = new Map();
    for (const n of r.names || []) {
      byAddr.set(String(n.address).toUpperCase(), n);
      byName.set(String(n.name).toLowerCase(), n);
    }
    state.names = { byAddr, byName };
  }

  async function refreshStatus() {
    const st = await api('status');
    state.status = st;
    state.chainID = st.chain_id;
    state.height = Number(st.height);
    document.getElementById('chain').textContent = st.chain_id;
    document.getElementById('foot-node').textContent =
      `Read-only view of node ${st.moniker} (tallyd ${st.version}) at ${location.host} · height ${group(st.height)}`;
    return st;
  }

  // metasRange returns the block metas from..to (inclusive), newest first,
  // fetching the missing ones 20 at a time (CometBFT's page size).
  async function metasRange(from, to) {
    from = Math.max(1, from);
    let hi = to;
    while (hi >= from) {
      if (state.metas.has(hi)) { hi--; continue; }
      const lo = Math.max(from, hi - 19);
      const r = await chain('blockchain', { minHeight: String(lo), maxHeight: String(hi) });
      for (const m of r.block_metas || []) state.metas.set(Number(m.header.height), m);
      hi = lo - 1;
    }
    if (state.metas.size > 2000) {
      for (const k of [...state.metas.keys()].sort((a, b) => a - b).slice(0, state.metas.size - 1000)) state.metas.delete(k);
    }
    const out = [];
    for (let i = to; i >= from; i--) if (state.metas.has(i)) out.push(state.metas.get(i));
    return out;
  }

  // signatures returns, for the last n committed heights, each validator's
  // flag: 2 signed for the block, 3 voted nil, 1 absent.
  async function signatures(n) {
    const top = state.height;
    const heights = [];
    for (let i = top; i > Math.max(0, top - n); i--) heights.push(i);
    await Promise.all(heights.filter((x) => !state.commits.has(x)).map(async (x) => {
      const r = await chain('commit', { height: String(x) });
      const sigs = new Map();
      for (const s of r.signed_header.commit.signatures || []) {
        if (s.validator_address) sigs.set(String(s.validator_address).toUpperCase(), Number(s.block_id_flag));
      }
      state.commits.set(x, sigs);
    }));
    for (const k of state.commits.keys()) if (k <= top - 3 * n) state.commits.delete(k);
    return heights.reverse().map((x) => ({ height: x, sigs: state.commits.get(x) }));
  }

  // ---------- pages ----------

  class NotFound extends Error {}

  function notFoundText(what) {
    return `no ${what} on chain ${state.chainID || 'this chain'} at height ${state.height || 0}`;
  }

  const pages = {};

  // chartWidth is the chart's drawing width: its on-screen width within
  // bounds, so that its labels keep a readable size on a narrow screen.
  function chartWidth() {
    return Math.round(Math.max(340, Math.min(960, view.clientWidth - 70)));
  }

  pages.overview = async function () {
    const [st, vals, cvals, net] = await Promise.all([
      refreshStatus(), api('validators'), chain('validators', { per_page: '100' }), chain('net_info')]);
    const top = Number(st.height);
    const [metas, recent] = await Promise.all([metasRange(top - CHART_BLOCKS + 1, top), signatures(SIGNED_BLOCKS)]);

    const pts = metas.slice().reverse().map((m, i, all) => {
      const prev = i > 0 ? all[i - 1] : state.metas.get(Number(m.header.height) - 1);
      const t = parseTime(m.header.time), pt = prev ? parseTime(prev.header.time) : null;
      return { height: Number(m.header.height), txs: Number(m.num_txs), interval: t && pt ? (t - pt) / 1000 : null };
    });
    const ivs = pts.map((p) => p.interval).filter((v) => v !== null);
    const avg = ivs.length ? ivs.reduce((a, b) => a + b, 0) / ivs.length : null;
    const totalTxs = pts.reduce((a, p) => a + p.txs, 0);
    const last = parseTime(st.latest_block_time);

    const cvByAddr = new Map((cvals.validators || []).map((v) => [String(v.address).toUpperCase(), v]));
    const valRows = (vals.validators || []).map((v) => {
      const addr = String(v.address).toUpperCase();
      const marks = recent.map((r) => {
        const f = r.sigs ? r.sigs.get(addr) : undefined;
        const cls = f === 2 ? 'c' : f === 3 ? 'n' : 'a';
        const word = f === 2 ? 'signed' : f === 3 ? 'voted nil' : 'missed';
        return h('i', { class: cls, title: `block ${r.height}: ${word}` });
      });
      const signed = recent.filter((r) => r.sigs && r.sigs.get(addr) === 2).length;
      const cv = cvByAddr.get(addr);
      return h('tr', { 'data-validator': addr },
        td(valLink(addr)),
        td(group(v.power), 'num', { 'data-field': 'power' }),
        td(cv ? group(cv.proposer_priority) : dash, 'num hide-narrow'),
        td(h('span', null, h('span', { class: 'sigs' }, marks), ' ',
          badge(`${signed}/${recent.length}`, signed === recent.length ? 'ok' : signed === 0 ? 'bad' : 'warn')), null, { 'data-field': 'signed' }));
    });

    const peers = (net.peers || []).map((p) => h('tr', null,
      td(show(p.node_info && p.node_info.moniker)),
      td(h('span', { class: 'hash', title: p.node_info && p.node_info.id }, short(p.node_info && p.node_info.id, 6))),
      td(show(p.remote_ip), 'hide-narrow'),
      td(p.is_outbound ? 'outbound' : 'inbound', 'hide-narrow')));

    const blockRows = metas.slice(0, 8).map((m) => h('tr', null,
      td(blockLink(m.header.height)),
      td(ago(parseTime(m.header.time))),
      td(group(m.num_txs), 'num'),
      td(valLink(m.header.proposer_address), 'hide-narrow')));

    return h('div', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', null, 'Overview'), h('span', { class: 'sub' }, `chain ${st.chain_id}`)),
      h('div', { class: 'cards' },
        card('Chain ID', st.chain_id, st.catching_up ? 'catching up' : 'in sync', 'chain_id'),
        card('Height', group(st.height), ago(last), 'height'),
        card('Last block', last ? last.toISOString().slice(11, 19) + ' UTC' : dash, last ? last.toISOString().slice(0, 10) : '', 'block_time'),
        card('Block interval', avg === null ? dash : avg.toFixed(2) + ' s', `average of the last ${pts.length}`, 'interval'),
        card('Validators', String((vals.validators || []).length), `total power ${group(vals.total_power)}`, 'validators'),
        card('Peers', String(net.n_peers), net.listening ? 'listening' : 'not listening', 'peers')),
      panel('Activity', `last ${count(pts.length, 'block')} · ${count(totalTxs, 'transaction')}`,
        h('div', { class: 'panel-body' }, window.tallyChart.draw(pts, chartWidth())),
        h('div', { class: 'legend' }, h('span', null, h('i', { style: null, class: 'lg-bar' }), 'transactions'),
          h('span', null, h('i', { class: 'lg-line' }), 'interval'))),
      h('div', { class: 'grid2' },
        panel('Validators', `signatures in the last ${recent.length} blocks`,
          table(['Validator', ['Power', 'num'], ['Priority', 'num hide-narrow'], 'Last blocks'], valRows, 'No validators.')),
        panel('Latest blocks', null,
          table(['Block', 'Time', ['Txs', 'num'], ['Proposer', 'hide-narrow']], blockRows, 'No blocks yet.'),
          h('a', { href: '#/blocks' }, 'All blocks →'))),
      panel('Peers', `${net.n_peers} connected`,
        table(['Moniker', 'Node ID', ['Address', 'hide-narrow'], ['Direction', 'hide-narrow']], peers, 'No peers connected.')));
  };

  pages.blocks = async function (args) {
    const st = await refreshStatus();
    const top = args[0] === 'from' && /^\d+$/.test(args[1] || '') ? Math.min(Number(args[1]), Number(st.height)) : Number(st.height);
    const metas = await metasRange(top - BLOCKS_PER_PAGE + 1, top);
    const rows = metas.map((m) => h('tr', { 'data-height': m.header.height },
      td(blockLink(m.header.height)),
      td(h('a', { class: 'hash', href: `#/block/${m.header.height}`, title: m.block_id.hash }, short(m.block_id.hash, 8)), 'hide-narrow'),
      td(utc(parseTime(m.header.time))),
      td(group(m.num_txs), 'num', { 'data-field': 'num_txs' }),
      td(valLink(m.header.proposer_address), 'hide-narrow')));
    const newer = top < Number(st.height) ? h('a', { href: top + BLOCKS_PER_PAGE >= Number(st.height) ? '#/blocks' : `#/blocks/from/${top + BLOCKS_PER_PAGE}` }, '← Newer') : h('span', { class: 'off' }, '← Newer');
    const older = top - BLOCKS_PER_PAGE >= 1 ? h('a', { href: `#/blocks/from/${top - BLOCKS_PER_PAGE}` }, 'Older →') : h('span', { class: 'off' }, 'Older →');
    return h('div', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', null, 'Blocks'), h('span', { class: 'sub' }, `latest #${group(st.height)}`)),
      panel('Blocks', `#${group(String(Math.max(1, top - BLOCKS_PER_PAGE + 1)))} – #${group(String(top))}`,
        h('div', null, table(['Height', ['Hash', 'hide-narrow'], 'Time', ['Txs', 'num'], ['Proposer', 'hide-narrow']], rows, 'No blocks yet.'),
          h('div', { class: 'pager' }, newer, h('span', null, `${BLOCKS_PER_PAGE} per page`), older))));
  };

  // txsOf decodes the transactions of a block through the ledger API, by
  // the hash of each transaction's bytes.
  async function txsOf(b64txs) {
    const hashes = b64txs.map((t) => window.tallySHA256(b64ToBytes(t)));
    return Promise.all(hashes.map(async (hash) => {
      try {
        return await api('tx', { hash });
      } catch (e) {
        if (e instanceof NodeUnreachable) throw e;
        return { hash, missing: e.why };
      }
    }));
  }

  pages.block = async function (args) {
    await refreshStatus();
    const hs = args[0] || '';
    if (!/^\d+$/.test(hs) || Number(hs) < 1) throw new NotFound(notFoundText(`block ${hs}`));
    if (Number(hs) > state.height) throw new NotFound(`no block ${hs} on chain ${state.chainID} yet: the latest is ${state.height}`);
    let r;
    try {
      r = await chain('block', { height: hs });
    } catch (e) {
      if (e instanceof RPCError) throw new NotFound(`${notFoundText(`block ${hs}`)} (${e.why})`);
      throw e;
    }
    const b = r.block, hd = b.header, height = Number(hd.height);
    const txs = await txsOf((b.data && b.data.txs) || []);
    const sigs = (b.last_commit && b.last_commit.signatures) || [];
    const signed = sigs.filter((s) => Number(s.block_id_flag) === 2).length;
    const txRows = txs.map((t, i) => h('tr', { 'data-tx': t.hash },
      td(String(i), 'num'),
      td(txLink(t.hash)),
      td(t.missing ? badge('not indexed', 'warn') : show(t.tx && t.tx.type), 'hide-narrow'),
      td(t.tx ? acctLink(t.tx.sender) : dash, 'hide-narrow'),
      td(t.missing ? t.missing : txSummary(t), 'wrap'),
      td(t.missing ? dash : resultBadge(t.code, t.codespace))));
    const sigRows = sigs.map((s) => {
      const f = Number(s.block_id_flag);
      return h('tr', null,
        td(s.validator_address ? valLink(s.validator_address) : dash),
        td(f === 2 ? badge('signed', 'ok') : f === 3 ? badge('voted nil', 'warn') : badge('absent', 'bad')),
        td(s.timestamp && !String(s.timestamp).startsWith('0001') ? utc(parseTime(s.timestamp)) : dash, 'hide-narrow'));
    });
    // Evidence of validators' misbehaviour the block commits (double
    // signing: CometBFT's DuplicateVoteEvidence, or a light client attack).
    const evRows = [];
    for (const e of (b.evidence && b.evidence.evidence) || []) {
      const v = (e && e.value) || {};
      if (v.vote_a) {
        evRows.push(h('tr', { 'data-evidence': 'duplicate_vote' },
          td(badge('double sign', 'bad')), td(valLink(v.vote_a.validator_address)),
          td(blockLink(String(v.vote_a.height))), td(group(String(v.ValidatorPower)), 'num hide-narrow')));
      } else {
        for (const bv of v.ByzantineValidators || []) {
          evRows.push(h('tr', { 'data-evidence': 'light_client_attack' },
            td(badge('light client attack', 'bad')), td(valLink(bv.address)),
            td(blockLink(String(v.CommonHeight))), td(group(String(bv.voting_power)), 'num hide-narrow')));
        }
      }
    }
    const nav = h('div', { class: 'pager' },
      height > 1 ? h('a', { href: `#/block/${height - 1}` }, `← #${height - 1}`) : h('span', { class: 'off' }, '← first'),
      h('span', null, `block ${group(String(height))}`),
      height < state.height ? h('a', { href: `#/block/${height + 1}` }, `#${height + 1} →`) : h('span', { class: 'off' }, 'latest'));
    return h('div', { class: 'page' },
      h('div', { class: 'crumb' }, h('a', { href: '#/blocks' }, 'Blocks'), ' / ', `#${group(String(height))}`),
      h('div', { class: 'page-head' }, h('h1', null, `Block #${group(String(height))}`), h('span', { class: 'sub' }, ago(parseTime(hd.time)))),
      panel('Header', null, h('div', null, kv([
        ['Height', group(hd.height), 'height'],
        ['Hash', h('span', { class: 'hash' }, show(r.block_id.hash)), 'hash'],
        ['Time', utc(parseTime(hd.time)), 'time'],
        ['Chain ID', show(hd.chain_id), 'chain_id'],
        ['Proposer', valLink(hd.proposer_address), 'proposer'],
        ['Transactions', String(txs.length), 'num_txs'],
        ['App hash', h('span', { class: 'hash' }, show(hd.app_hash)), 'app_hash'],
        ['Previous block', height > 1 ? h('span', { class: 'hash' }, show(hd.last_block_id && hd.last_block_id.hash)) : dash],
        ['Signatures of the previous block', `${signed} of ${sigs.length} validators`, 'signatures'],
      ]), nav)),
      panel('Transactions', `${count(txs.length, 'transaction')} in this block`,
        table([['#', 'num'], 'Hash', ['Type', 'hide-narrow'], ['Sender', 'hide-narrow'], 'What', 'Result'], txRows, 'No transactions in this block.')),
      evRows.length ? panel('Evidence', `${count(evRows.length, 'misbehaving validator')}: the validator keeps its power until governance removes it`,
        table(['Misbehaviour', 'Validator', 'At height', ['Power', 'num hide-narrow']], evRows)) : null,
      panel('Commit signatures', `for block #${height - 1 > 0 ? height - 1 : dash}`,
        table(['Validator', 'Vote', ['Time', 'hide-narrow']], sigRows, 'No signatures (first block).')));
  };

  pages.tx = async function (args) {
    await refreshStatus();
    const hash = String(args[0] || '').replace(/^0x/i, '').toUpperCase();
    if (!/^[0-9A-F]{64}$/.test(hash)) throw new NotFound(notFoundText(`transaction ${hash}`) + ': a transaction hash is 64 hex digits');
    let t;
    try {
      t = await api('tx', { hash });
    } catch (e) {
      if (e instanceof RPCError) throw new NotFound(notFoundText(`transaction ${hash}`));
      throw e;
    }
    const b = t.tx || {}, m = b.msg || {};
    const msgRows = [];
    if (m.to) msgRows.push(['To', acctLink(m.to, { full: true }), 'msg_to']);
    if (m.asset) msgRows.push(['Asset', h('a', { href: `#/asset/${m.asset}` }, m.asset), 'msg_asset']);
    if (m.amount) msgRows.push(['Amount', group(m.amount), 'msg_amount']);
    if (m.action) msgRows.push(['Action', actionSummary(m.action), 'msg_action']);
    if (m.expiry) msgRows.push(['Proposal expiry', `height ${group(m.expiry)}`]);
    if (m.proposal) msgRows.push(['Proposal', h('a', { href: `#/proposal/${m.proposal}` }, m.proposal), 'msg_proposal']);
    if (m.approve !== undefined) msgRows.push(['Vote', m.approve ? 'approve' : 'reject', 'msg_vote']);
    const events = (t.events || []).map((ev) => h('div', { class: 'event' },
      h('div', { class: 'event-type' }, show(ev.type)),
      h('table', null, h('tbody', null, (ev.attributes || []).map((a) => h('tr', null,
        h('td', { class: 'hash' }, show(a.key)), h('td', { class: 'hash wrap' }, show(a.value))))))));
    return h('div', { class: 'page' },
      h('div', { class: 'crumb' }, h('a', { href: `#/block/${t.height}` }, `Block #${group(t.height)}`), ' / transaction'),
      h('div', { class: 'page-head' }, h('h1', null, 'Transaction'), resultBadge(t.code, t.codespace)),
      panel('Summary', null, kv([
        ['Hash', h('span', { class: 'hash' }, t.hash), 'hash'],
        ['Result', h('span', null, resultBadge(t.code, t.codespace), Number(t.code) === 0 ? '' : ` code ${t.code}`), 'result'],
        ['Block', h('span', null, blockLink(t.height), ` · position ${t.index}`), 'height'],
        ['Type', show(b.type), 'type'],
        ['What', txSummary(t)],
        ['Signer', b.sender ? acctLink(b.sender, { full: true }) : dash, 'sender'],
        ['Signer public key', h('span', { class: 'hash' }, show(b.pub_key)), 'pub_key'],
        ['Nonce', show(b.nonce), 'nonce'],
        ['Expires', b.expiry && b.expiry !== '0' ? `after height ${group(b.expiry)}` : 'never', 'expiry'],
        ['Memo', show(b.memo), 'memo'],
        ['Log', t.log ? h('pre', { class: 'log' }, t.log) : dash, 'log'],
      ].concat(t.decode_error ? [['Decode error', t.decode_error]] : []))),
      msgRows.length ? panel('Message', show(b.type), kv(msgRows)) : null,
      panel('Events', `${(t.events || []).length}`, (t.events || []).length
        ? h('div', { class: 'panel-body events' }, events) : h('div', { class: 'empty' }, 'No events.')));
  };

  pages.account = async function (args) {
    await refreshStatus();
    const addr = String(args[0] || '');
    const page = args[1] === 'page' && /^\d+$/.test(args[2] || '') ? Math.max(1, Number(args[2])) : 1;
    let a;
    try {
      a = await api('account', { address: addr });
    } catch (e) {
      if (e instanceof RPCError) throw new NotFound(notFoundText(`account ${addr}`) + (e.code === -32602 ? ': that is not a valid tally1… address' : ''));
      throw e;
    }
    const hist = await api('history', { address: addr, page: String(page), per_page: String(HISTORY_PER_PAGE) });
    const name = nameOf(a.address);
    const total = Number(hist.total_count);
    const pages_ = Math.max(1, Math.ceil(total / HISTORY_PER_PAGE));
    const rows = (hist.txs || []).map((t) => {
      const b = t.tx || {};
      const out = b.sender === a.address;
      return h('tr', { 'data-tx': t.hash },
        td(txLink(t.hash)),
        td(blockLink(t.height)),
        td(show(b.type), 'hide-narrow'),
        td(out ? badge('out', 'info') : badge('in', 'ok'), 'hide-narrow'),
        td(txSummary(t, a.address), 'wrap'),
        td(resultBadge(t.code, t.codespace)));
    });
    const base = `#/account/${a.address}`;
    const pager = h('div', { class: 'pager' },
      page > 1 ? h('a', { href: page === 2 ? base : `${base}/page/${page - 1}` }, '← Newer') : h('span', { class: 'off' }, '← Newer'),
      h('span', { 'data-field': 'history_page' }, `page ${page} of ${pages_} · ${count(hist.total_count, 'transaction')}`),
      page < pages_ ? h('a', { href: `${base}/page/${page + 1}` }, 'Older →') : h('span', { class: 'off' }, 'Older →'));
    const bals = (a.balances || []).map((b) => h('tr', { 'data-asset': b.asset },
      td(h('a', { href: `#/asset/${b.asset}` }, b.asset)), td(group(b.amount), 'num', { 'data-field': 'amount' })));
    return h('div', { class: 'page' },
      h('div', { class: 'crumb' }, 'Account'),
      h('div', { class: 'page-head' }, h('h1', null, name || 'Account'),
        a.frozen ? badge('Frozen', 'bad') : badge('Active', 'ok'),
        (a.roles || []).map((r) => badge(r, r === 'admin' ? 'warn' : r === 'issuer' ? 'info' : ''))),
      h('div', { class: 'grid2' },
        panel('Account', null, kv([
          ['Address', h('span', { class: 'hash' }, a.address), 'address'],
          ['Name in genesis', name || dash, 'name'],
          ['Roles', (a.roles || []).length ? a.roles.join(', ') : 'none', 'roles'],
          ['Status', a.frozen ? 'frozen' : 'active', 'frozen'],
          ['Frozen because', a.frozen ? show(a.frozen_reason) : dash, 'frozen_reason'],
          ['Nonce', show(a.nonce), 'nonce'],
          ['Next nonce (with mempool)', show(a.pending_nonce), 'pending_nonce'],
        ])),
        panel('Balances', count((a.balances || []).length, 'asset'),
          table(['Asset', ['Amount', 'num']], bals, 'No balances.'))),
      panel('History', `${count(hist.total_count, 'transaction')}, newest first`,
        h('div', null, table(['Hash', 'Block', ['Type', 'hide-narrow'], ['Dir', 'hide-narrow'], 'What', 'Result'], rows, 'No transactions yet.'), pager)));
  };

  pages.assets = async function () {
    await refreshStatus();
    const r = await api('assets');
    const rows = (r.assets || []).map((a) => h('tr', { 'data-asset': a.symbol },
      td(h('a', { href: `#/asset/${a.symbol}` }, a.symbol), null, { 'data-field': 'symbol' }),
      td(acctLink(a.issuer), null, { 'data-field': 'issuer' }),
      td(group(a.supply), 'num', { 'data-field': 'supply' }),
      td(a.paused ? badge('Paused', 'warn') : badge('Active', 'ok'), null, { 'data-field': 'paused' })));
    return h('div', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', null, 'Assets'), h('span', { class: 'sub' }, `${(r.assets || []).length} on chain ${state.chainID}`)),
      panel('Assets', null, table(['Symbol', 'Issuer', ['Supply', 'num'], 'Status'], rows, 'No assets yet.')));
  };

  pages.asset = async function (args) {
    await refreshStatus();
    const sym = String(args[0] || '');
    let a;
    try {
      a = await api('asset', { symbol: sym });
    } catch (e) {
      if (e instanceof RPCError) throw new NotFound(notFoundText(`asset ${sym}`));
      throw e;
    }
    return h('div', { class: 'page' },
      h('div', { class: 'crumb' }, h('a', { href: '#/assets' }, 'Assets'), ' / ', a.symbol),
      h('div', { class: 'page-head' }, h('h1', null, a.symbol), a.paused ? badge('Paused', 'warn') : badge('Active', 'ok')),
      panel('Asset', null, kv([
        ['Symbol', a.symbol, 'symbol'],
        ['Issuer', acctLink(a.issuer, { full: true }), 'issuer'],
        ['Supply', group(a.supply), 'supply'],
        ['Transfers', a.paused ? 'paused' : 'allowed', 'paused'],
      ])));
  };

  function proposalRow(p, threshold) {
    const n = (p.approvals || []).length;
    const pct = Math.min(100, threshold > 0 ? (100 * n) / threshold : 0);
    const open = p.status === 'open';
    const left = Number(p.expiry) - state.height;
    const statusKind = { open: 'info', executed: 'ok', rejected: 'bad', expired: 'warn' }[p.status] || '';
    return h('tr', { 'data-proposal': p.id },
      td(h('a', { href: `#/proposal/${p.id}` }, '#' + p.id)),
      td(actionSummary(p.action), 'wrap'),
      td(acctLink(p.proposer), 'hide-narrow'),
      td(h('span', { class: 'progress' }, h('span', { class: 'bar' + (n >= threshold ? ' done' : '') }, h('span', { style: null, 'data-pct': pct.toFixed(0) })),
        h('span', { 'data-field': 'approvals' }, `${n} of ${threshold}`))),
      td(String((p.rejections || []).length), 'num hide-narrow'),
      td(open ? (left >= 0 ? `#${group(p.expiry)} (in ${left} blocks)` : `#${group(p.expiry)}`) : `#${group(p.expiry)}`, 'hide-narrow'),
      td(open ? badge('open', 'info') : h('span', null, badge(p.status, statusKind), ` at #${group(p.closed_height !== '0' ? p.closed_height : p.executed_height)}`)));
  }
  // Bars are sized after insertion: the page's CSP forbids inline styles in markup, not through the DOM.
  function sizeBars(root) {
    for (const s of root.querySelectorAll('[data-pct]')) s.style.width = s.getAttribute('data-pct') + '%';
  }

  pages.governance = async function () {
    await refreshStatus();
    const [r, params] = await Promise.all([api('proposals'), api('params')]);
    const threshold = Number(params.admin_threshold);
    const ps = (r.proposals || []).slice().sort((a, b) => Number(b.id) - Number(a.id));
    const open = ps.filter((p) => p.status === 'open'), closed = ps.filter((p) => p.status !== 'open');
    const heads = ['ID', 'Action', ['Proposer', 'hide-narrow'], 'Approvals', ['Rejections', 'num hide-narrow'], ['Expiry', 'hide-narrow'], 'Status'];
    return h('div', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', null, 'Governance'), h('span', { class: 'sub' }, 'proposals by admin quorum')),
      h('div', { class: 'cards' },
        card('Threshold', `${threshold} of ${params.admins}`, 'admin approvals to pass', 'threshold'),
        card('Open', String(open.length), 'proposals', 'open'),
        card('Closed', String(closed.length), 'executed, rejected or expired', 'closed'),
        card('Frozen accounts', params.freeze_blocks_receive ? 'cannot receive' : 'can receive', 'transfers to a frozen account', 'freeze_blocks_receive')),
      panel('Open proposals', `${open.length}`, table(heads, open.map((p) => proposalRow(p, threshold)), 'No open proposals.')),
      panel('Closed proposals', `${closed.length}`, table(heads, closed.map((p) => proposalRow(p, threshold)), 'No closed proposals.')));
  };

  pages.proposal = async function (args) {
    await refreshStatus();
    const id = String(args[0] || '');
    let p;
    try {
      if (!/^\d+$/.test(id) || id === '0') throw new RPCError('proposal', { message: 'bad id' });
      p = await api('proposal', { id });
    } catch (e) {
      if (e instanceof RPCError) throw new NotFound(notFoundText(`proposal ${id}`));
      throw e;
    }
    const params = await api('params');
    const threshold = Number(params.admin_threshold);
    const who = (list) => (list || []).length ? h('span', null, list.map((a) => h('div', null, acctLink(a)))) : 'none';
    return h('div', { class: 'page' },
      h('div', { class: 'crumb' }, h('a', { href: '#/governance' }, 'Governance'), ' / proposal ' + p.id),
      h('div', { class: 'page-head' }, h('h1', null, `Proposal #${p.id}`), badge(p.status, { open: 'info', executed: 'ok', rejected: 'bad', expired: 'warn' }[p.status])),
      panel('Proposal', null, kv([
        ['Action', actionSummary(p.action), 'action'],
        ['Proposer', acctLink(p.proposer, { full: true }), 'proposer'],
        ['Status', p.status, 'status'],
        ['Approvals', `${(p.approvals || []).length} of ${threshold} needed`, 'approvals'],
        ['Approved by', who(p.approvals)],
        ['Rejected by', who(p.rejections)],
        ['Created at', blockLink(p.created_height), 'created_height'],
        ['Expiry', `height ${group(p.expiry)}`, 'expiry'],
        ['Executed at', p.executed_height && p.executed_height !== '0' ? blockLink(p.executed_height) : dash],
        ['Closed at', p.closed_height && p.closed_height !== '0' ? blockLink(p.closed_height) : dash],
      ])));
  };

  pages.network = async function () {
    const [st, nodes, net] = await Promise.all([refreshStatus(), api('nodes'), chain('net_info')]);
    const peerByID = new Map((net.peers || []).map((p) => [p.node_info && p.node_info.id, p]));
    const rows = (nodes.nodes || []).map((n) => {
      const p = peerByID.get(n.id);
      const moniker = n.self ? st.moniker : p && p.node_info ? p.node_info.moniker : '';
      return h('tr', { 'data-node': n.id },
        td(h('span', { class: 'hash', title: n.id }, short(n.id, 10))),
        td(show(moniker)),
        td(n.allowed ? badge('allowed', 'ok') : badge('not allowed', 'bad'), null, { 'data-field': 'allowed' }),
        td(n.self ? badge('this node', 'info') : n.connected ? badge('connected', 'ok') : badge('not connected', 'warn'), null, { 'data-field': 'connected' }),
        td(p ? show(p.remote_ip) : dash, 'hide-narrow'));
    });
    const allowed = (nodes.nodes || []).filter((n) => n.allowed).length;
    const connected = (nodes.nodes || []).filter((n) => n.connected).length;
    return h('div', { class: 'page' },
      h('div', { class: 'page-head' }, h('h1', null, 'Network'), h('span', { class: 'sub' }, `as node ${st.moniker} sees it at height ${group(nodes.height)}`)),
      h('div', { class: 'cards' },
        card('Allowed nodes', String(allowed), 'by the ledger', 'allowed'),
        card('Connected peers', String(connected), `of ${(nodes.nodes || []).length - 1} other nodes`, 'connected'),
        card('This node', st.moniker, st.node_id, 'self')),
      panel('Nodes', 'the ledger\'s allowed-node list and this node\'s peers',
        table(['Node ID', 'Moniker', 'Allowed', 'Connection', ['Address', 'hide-narrow']], rows, 'No nodes.')));
  };

  pages.validator = async function (args) {
    await refreshStatus();
    const addr = String(args[0] || '').toUpperCase();
    const vals = await api('validators');
    const v = (vals.validators || []).find((x) => String(x.address).toUpperCase() === addr);
    if (!v) throw new NotFound(notFoundText(`validator ${addr}`));
    const recent = await signatures(SIGNED_BLOCKS);
    const signed = recent.filter((r) => r.sigs && r.sigs.get(addr) === 2).length;
    return h('div', { class: 'page' },
      h('div', { class: 'crumb' }, h('a', { href: '#/' }, 'Overview'), ' / validator'),
      h('div', { class: 'page-head' }, h('h1', null, nameOf(addr) || 'Validator'), badge(`signed ${signed} of the last ${recent.length}`, signed === recent.length ? 'ok' : 'warn')),
      panel('Validator', null, kv([
        ['Address', h('span', { class: 'hash' }, v.address), 'address'],
        ['Name in genesis', nameOf(addr) || dash, 'name'],
        ['Voting power', group(v.power), 'power'],
        ['Share of power', Number(vals.total_power) > 0 ? (100 * Number(v.power) / Number(vals.total_power)).toFixed(1) + ' %' : dash],
        ['Public key (ed25519)', h('span', { class: 'hash' }, show(v.pub_key)), 'pub_key'],
      ])));
  };

  // search resolves a query to a page, or says plainly that nothing matches.
  pages.search = async function (args) {
    await refreshStatus();
    const q = decodeURIComponent(args.join('/')).trim();
    const target = await resolve(q);
    if (target) {
      location.replace(target);
      return null;
    }
    throw new NotFound(`nothing on chain ${state.chainID} at height ${state.height} matches “${q}”: try a block height, a transaction hash, a tally1… address, a key name from the genesis or an asset symbol`);
  };

  async function resolve(q) {
    if (q === '') return '#/';
    if (/^#?\d+$/.test(q)) {
      const n = Number(q.replace('#', ''));
      return n >= 1 && n <= state.height ? `#/block/${n}` : null;
    }
    const hex = q.replace(/^0x/i, '');
    if (/^[0-9a-fA-F]{64}$/.test(hex)) return `#/tx/${hex.toUpperCase()}`;
    if (/^tally1[02-9ac-hj-np-z]+$/i.test(q)) return `#/account/${q.toLowerCase()}`;
    const n = state.names.byName.get(q.toLowerCase());
    if (n) return n.kind === 'validator' ? `#/validator/${n.address}` : `#/account/${n.address}`;
    if (/^[0-9A-Fa-f]{40}$/.test(q) && state.names.byAddr.has(q.toUpperCase())) return `#/validator/${q.toUpperCase()}`;
    const assets = await api('assets');
    const a = (assets.assets || []).find((x) => x.symbol.toLowerCase() === q.toLowerCase());
    if (a) return `#/asset/${a.symbol}`;
    return null;
  }

  // ---------- router ----------

  const routes = {
    '': ['overview', 'overview'], blocks: ['blocks', 'blocks'], block: ['block', 'blocks'], tx: ['tx', 'blocks'],
    account: ['account', ''], assets: ['assets', 'assets'], asset: ['asset', 'assets'],
    governance: ['governance', 'governance'], proposal: ['proposal', 'governance'],
    network: ['network', 'network'], validator: ['validator', 'overview'], search: ['search', ''],
  };
  const view = document.getElementById('view');
  let renderSeq = 0, rendering = false, renderPending = false, shownKey = null;

  function parseHash() {
    const parts = location.hash.replace(/^#\/?/, '').split('/').filter((s) => s !== '');
    const head = parts.shift() || '';
    return { name: routes[head] ? head : null, args: parts.map((p) => decodeURIComponent(p)) };
  }

  function setState(s) {
    document.body.setAttribute('data-state', s);
    if (s !== 'loading' && s !== 'unreachable') view.dataset.route = location.hash;
  }

  function stateBox(kind, title, text, hint) {
    return h('div', { class: `state ${kind}`, 'data-kind': kind },
      h('h1', null, title), h('div', { 'data-field': 'message' }, text), hint ? h('div', { class: 'hint' }, hint) : null);
  }

  // render draws the page of the current URL. quiet: a refresh on a new
  // block, which keeps the page as it is until the new one is ready.
  async function render(quiet) {
    if (quiet && rendering) { renderPending = true; return; }
    const seq = ++renderSeq; // a navigation supersedes whatever is in flight
    rendering = true;
    const r = parseHash();
    const key = location.hash;
    const changed = shownKey !== key;
    shownKey = key;
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', r.name !== null && a.dataset.nav === routes[r.name][1]);
    if (changed) {
      view.replaceChildren(h('div', { class: 'state state-loading' }, h('span', { class: 'spinner' }), 'Loading…'));
      setState('loading');
    }
    try {
      if (r.name === null) throw new NotFound(`no page ${location.hash} in this explorer`);
      const page = await pages[routes[r.name][0]](r.args);
      if (seq !== renderSeq) return;
      if (page) {
        const y = window.scrollY;
        sizeBars(page);
        view.replaceChildren(page);
        if (!changed) window.scrollTo(0, y);
        setState('ready');
      }
      nodeReachable();
    } catch (e) {
      if (seq !== renderSeq) return;
      if (e instanceof NotFound) {
        view.replaceChildren(stateBox('notfound', 'Not found', e.message, h('a', { href: '#/' }, 'Back to the overview')));
        setState('notfound');
        nodeReachable();
      } else if (e instanceof NodeUnreachable) {
        if (changed || !view.querySelector('.page')) {
          view.replaceChildren(stateBox('unreachable', 'Node unreachable', `The node at ${location.host} does not answer. Retrying…`));
        }
        nodeUnreachable(e.message);
      } else if (e instanceof RPCError) {
        view.replaceChildren(stateBox('error', 'The node could not answer', e.why));
        setState('error');
        nodeReachable();
      } else {
        view.replaceChildren(stateBox('error', 'This page could not be drawn', 'The node answered with data this explorer did not expect.'));
        setState('error');
        if (window.console) console.error(e);
      }
    } finally {
      if (seq === renderSeq) {
        rendering = false;
        if (renderPending) { renderPending = false; render(true); }
      }
    }
  }

  // ---------- liveness: websocket, polling, unreachable banner ----------

  const banner = document.getElementById('banner');
  let retryIn = 0, retryTimer = null, attempt = 0;

  function setLive(mode, text) {
    state.live = mode;
    const el = document.getElementById('foot-live');
    el.className = 'live ' + mode;
    document.getElementById('foot-live-text').textContent = text;
  }
  function nodeReachable() {
    if (!state.unreachable) return;
    state.unreachable = false;
    attempt = 0;
    banner.hidden = true;
    banner.className = 'banner';
    if (document.body.getAttribute('data-state') === 'unreachable') setState('ready');
    connectWS();
  }
  function nodeUnreachable(why) {
    state.unreachable = true;
    setState('unreachable');
    setLive('off', 'node unreachable');
    if (retryTimer === null) scheduleRetry(why);
  }
  function scheduleRetry(why) {
    attempt++;
    retryIn = Math.min(10, 1 + attempt);
    const tick = () => {
      banner.hidden = false;
      banner.className = 'banner bad';
      banner.setAttribute('data-kind', 'unreachable');
      banner.textContent = `Node unreachable: ${why}. Retrying in ${retryIn} s (attempt ${attempt})…`;
      if (retryIn <= 0) {
        retryTimer = null;
        banner.textContent = `Node unreachable: ${why}. Retrying now (attempt ${attempt})…`;
        refreshStatus().then(() => { nodeReachable(); render(true); }, (e) => {
          if (e instanceof NodeUnreachable) scheduleRetry(e.message); else { nodeReachable(); render(true); }
        });
        return;
      }
      retryIn--;
      retryTimer = setTimeout(tick, 1000);
    };
    tick();
  }

  let ws = null, pollTimer = null;
  function connectWS() {
    if (ws || state.unreachable) return;
    let sock;
    try {
      sock = new WebSocket(WS_URL);
    } catch (e) {
      startPolling();
      return;
    }
    ws = sock;
    sock.onopen = () => {
      sock.send(JSON.stringify({ jsonrpc: '2.0', id: 'blocks', method: 'subscribe_blocks', params: {} }));
    };
    sock.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.error) { sock.close(); return; }
      if (msg.result && msg.result.height) {
        stopPolling();
        setLive('on', 'live');
        onNewHeight(Number(msg.result.height));
      } else if (msg.result) {
        stopPolling();
        setLive('on', 'live');
      }
    };
    sock.onclose = () => {
      if (ws === sock) ws = null;
      setLive('poll', 'polling');
      startPolling();
      // A closed websocket is often the first sign that the node stopped.
      refreshStatus().catch((e) => { if (e instanceof NodeUnreachable) nodeUnreachable(e.message); });
    };
  }
  function startPolling() {
    if (pollTimer !== null) return;
    pollTimer = setInterval(async () => {
      if (state.unreachable) return;
      const before = state.height;
      try {
        await refreshStatus();
        if (state.height !== before) onNewHeight(state.height);
        if (!ws) connectWS();
      } catch (e) {
        if (e instanceof NodeUnreachable) nodeUnreachable(e.message);
      }
    }, 2000);
  }
  function stopPolling() {
    if (pollTimer !== null) clearInterval(pollTimer);
    pollTimer = null;
  }
  function onNewHeight(height) {
    if (height > state.height) state.height = height;
    document.body.setAttribute('data-height', String(height));
    render(true);
  }

  // ---------- search box ----------

  document.getElementById('search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const input = document.getElementById('search-input');
    const q = input.value.trim();
    if (q === '') return;
    input.value = '';
    input.blur();
    location.hash = '#/search/' + encodeURIComponent(q);
  });

  window.addEventListener('hashchange', () => render(false));

  // ---------- start ----------

  async function start() {
    setLive('poll', 'connecting');
    try {
      await Promise.all([refreshStatus(), loadNames()]);
    } catch (e) {
      if (e instanceof NodeUnreachable) {
        nodeUnreachable(e.message);
        view.replaceChildren(stateBox('unreachable', 'Node unreachable', `The node at ${location.host} does not answer. Retrying…`));
        // render once the node is back
        const wait = setInterval(() => {
          if (!state.unreachable) { clearInterval(wait); loadNames().catch(() => {}).then(() => render(false)); }
        }, 500);
        return;
      }
    }
    render(false);
    connectWS();
  }
  start();
})();
