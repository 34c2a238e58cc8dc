// Two small SVG charts sharing one x axis: transactions per block (bars)
// and the interval between blocks (line). Drawn from scratch, no library.
'use strict';
window.tallyChart = (function () {
  const NS = 'http://www.w3.org/2000/svg';
  function el(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  // niceMax returns the top of an axis with four ticks at least v: four
  // times 1, 2, 2.5 or 5 times a power of ten (whole ticks if integer).
  function niceMax(v, integer) {
    const raw = v > 0 ? v / 4 : 0.25;
    let p = Math.pow(10, Math.floor(Math.log10(raw)));
    if (integer && p < 1) p = 1;
    for (const m of [1, 2, 2.5, 5, 10]) {
      if (integer && !Number.isInteger(m * p)) continue;
      if (raw <= m * p) return 4 * m * p;
    }
    return 40 * p;
  }
  function fmtTick(v) {
    if (v >= 1000) return (v / 1000).toFixed(v % 1000 === 0 ? 0 : 1) + 'k';
    return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
  }

  // draw renders points [{height, txs, interval (seconds or null)}], oldest
  // first, into an <svg> element width units wide (default 960) and returns it.
  function draw(points, width) {
    const W = width || 960, padL = 44, padR = 12, top1 = 22, h1 = 120, gap = 34, h2 = 90, bottom = 22;
    const H = top1 + h1 + gap + h2 + bottom;
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
      'aria-label': 'Transactions per block and block interval' });
    const n = Math.max(points.length, 1);
    const plotW = W - padL - padR;
    const step = plotW / n;
    const x = (i) => padL + i * step;

    const maxTx = niceMax(Math.max(0, ...points.map((p) => p.txs)), true);
    const intervals = points.map((p) => p.interval).filter((v) => v !== null && v >= 0);
    const maxIv = niceMax(Math.max(0, ...intervals), false);

    function panel(top, h, max, title) {
      const g = el('g', { class: 'grid' });
      const ax = el('g', { class: 'axis' });
      for (let k = 0; k <= 4; k++) {
        const y = top + h - (h * k) / 4;
        g.appendChild(el('line', { x1: padL, x2: W - padR, y1: y, y2: y }));
        ax.appendChild(el('text', { x: padL - 6, y: y + 4, 'text-anchor': 'end' }, fmtTick((max * k) / 4)));
      }
      svg.appendChild(g);
      svg.appendChild(ax);
      svg.appendChild(el('text', { x: padL, y: top - 8, class: 'title' }, title));
    }
    panel(top1, h1, maxTx, 'Transactions per block');
    const top2 = top1 + h1 + gap;
    panel(top2, h2, maxIv, 'Block interval (seconds)');

    const bars = el('g', { class: 'bars' });
    const bw = Math.max(1, step * 0.75);
    points.forEach((p, i) => {
      const bh = (h1 * p.txs) / maxTx;
      const r = el('rect', { x: x(i) + (step - bw) / 2, y: top1 + h1 - bh, width: bw, height: Math.max(bh, p.txs > 0 ? 1 : 0) });
      r.appendChild(el('title', {}, `block ${p.height}: ${p.txs} transaction${p.txs === 1 ? '' : 's'}`));
      bars.appendChild(r);
    });
    svg.appendChild(bars);

    let d = '';
    points.forEach((p, i) => {
      if (p.interval === null || p.interval < 0) return;
      const px = x(i) + step / 2, py = top2 + h2 - (h2 * p.interval) / maxIv;
      d += (d === '' ? 'M' : 'L') + px.toFixed(1) + ' ' + py.toFixed(1);
    });
    if (d !== '') svg.appendChild(el('path', { d, class: 'line' }));

    // x axis: first, middle and last heights
    const ax = el('g', { class: 'axis' });
    if (points.length > 0) {
      const idx = [0, Math.floor((points.length - 1) / 2), points.length - 1];
      const anchors = ['start', 'middle', 'end'];
      idx.forEach((i, k) => {
        const px = k === 0 ? padL : k === 2 ? W - padR : x(i) + step / 2;
        ax.appendChild(el('text', { x: px, y: H - 6, 'text-anchor': anchors[k] }, '#' + points[i].height));
      });
    } else {
      ax.appendChild(el('text', { x: W / 2, y: top1 + h1 / 2, 'text-anchor': 'middle', class: 'note' }, 'no blocks yet'));
    }
    svg.appendChild(ax);
    return svg;
  }
  return { draw };
})();
