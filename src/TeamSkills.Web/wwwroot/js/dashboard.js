// Overview and team pages: sortable tables, filters, heat-map keyboard navigation, and live updates in place.
(() => {
  'use strict';

  // Every handler is delegated from the document, so tables and rows a live update puts in keep working.

  // ---- sorting: header buttons sort by data-value when present, else by text ------------------------------------
  function cellValue(row, index, kind) {
    const cell = row.cells[index];
    if (!cell) return '';
    const raw = cell.dataset.value ?? cell.textContent.trim();
    if (kind === 'text') return raw.toLowerCase();
    const n = parseFloat(raw);
    return Number.isNaN(n) ? -Infinity : n;
  }
  // A column's identity across renderings: data-key where the page gives one (the heat map's columns come and go).
  const columnKey = th => th.dataset.key ?? String(th.cellIndex);

  // Moving or replacing rows takes the focus off a cell in them: give it back.
  function keepingFocus(change) {
    const active = document.activeElement;
    change();
    if (active && active.isConnected && document.activeElement !== active) active.focus({ preventScroll: true });
  }

  function sortBy(th, ascending) {
    const table = th.closest('table');
    const index = th.cellIndex;
    const kind = th.querySelector('button[data-sort]').dataset.sort;
    for (const h of th.parentElement.cells) h.removeAttribute('aria-sort');
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    const body = table.tBodies[0];
    const rows = [...body.rows];
    rows.sort((a, b) => {
      const x = cellValue(a, index, kind), y = cellValue(b, index, kind);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    });
    keepingFocus(() => body.append(...rows));
  }
  // The sort a person chose, by table id: a live update re-applies it to the rows it brings.
  const chosenSorts = new Map();
  document.addEventListener('click', e => {
    const button = e.target.closest('table.sortable thead button[data-sort]');
    if (!button) return;
    const th = button.closest('th');
    const ascending = th.getAttribute('aria-sort') !== 'ascending';
    sortBy(th, ascending);
    const table = th.closest('table');
    if (table.id) chosenSorts.set(table.id, { key: columnKey(th), ascending });
  });
  function reapplySort(table) {
    const chosen = chosenSorts.get(table.id);
    if (!chosen) return;
    const th = [...table.tHead.rows[0].cells].find(h => columnKey(h) === chosen.key);
    if (th) sortBy(th, chosen.ascending);
    else chosenSorts.delete(table.id); // its column is gone: the page's own order
  }

  // ---- filters -----------------------------------------------------------------------------------------------------
  const filterText = tableId => (document.querySelector(`[data-filter-for="${tableId}"]`)?.value || '').trim().toLowerCase();
  const filterStatus = tableId => document.querySelector(`[data-status-filter-for="${tableId}"]`)?.value || '';
  const filtering = tableId => filterText(tableId) !== '' || filterStatus(tableId) !== '';
  function applyFilters(tableId) {
    const table = document.getElementById(tableId);
    if (!table) return;
    const text = filterText(tableId), status = filterStatus(tableId);
    let shown = 0;
    for (const row of table.tBodies[0].rows) {
      const haystack = row.dataset.search ?? row.textContent.toLowerCase();
      const statuses = (row.dataset.statuses || '').split(' ');
      const visible = (!text || haystack.includes(text)) && (!status || statuses.includes(status));
      row.hidden = !visible;
      if (visible) shown++;
    }
    const counter = document.querySelector(`[data-count-for="${tableId}"]`);
    if (counter) counter.textContent = `${shown} of ${table.tBodies[0].rows.length} shown`;
    if (tableId === 'heat') keepTabStop(table);
  }
  document.addEventListener('input', e => {
    if (e.target.dataset?.filterFor) applyFilters(e.target.dataset.filterFor);
  });
  document.addEventListener('change', e => {
    if (e.target.dataset?.statusFilterFor) applyFilters(e.target.dataset.statusFilterFor);
  });

  // The grid's one tab stop must stay on a row the filter shows, or the keyboard could not reach the grid at all.
  function keepTabStop(table) {
    const current = table.tBodies[0].querySelector('td[tabindex="0"]');
    if (current && !current.parentElement.hidden) return;
    if (current) current.tabIndex = -1;
    const row = [...table.tBodies[0].rows].find(r => !r.hidden);
    if (row?.cells[0]) row.cells[0].tabIndex = 0;
  }

  // ---- heat map keyboard navigation: one tab stop, arrow keys move, Home/End jump within a row ----------------------
  // Every cell is focusable by script but only one by Tab; the engineer links in the first column are reached with
  // the arrows and opened with Enter, not one Tab each. Run again on whatever a live update put in.
  function prepareGrid(heat) {
    const stop = heat.tBodies[0].querySelector('td[tabindex="0"]');
    for (const row of heat.tBodies[0].rows) for (const td of row.cells) if (td !== stop) td.tabIndex = -1;
    for (const a of heat.tBodies[0].querySelectorAll('a')) a.tabIndex = -1;
    if (!stop && heat.tBodies[0].rows[0]?.cells[0]) heat.tBodies[0].rows[0].cells[0].tabIndex = 0;
    keepTabStop(heat);
  }
  document.addEventListener('keydown', e => {
    const cell = e.target.closest?.('#heat tbody td');
    if (!cell) return;
    const heat = cell.closest('table');
    const grid = [...heat.tBodies[0].rows].filter(r => !r.hidden).map(r => [...r.cells]);
    const r = grid.findIndex(row => row.includes(cell));
    if (r < 0) return;
    const c = grid[r].indexOf(cell);
    let next = null;
    switch (e.key) {
      case 'ArrowRight': next = grid[r][c + 1]; break;
      case 'ArrowLeft': next = grid[r][c - 1]; break;
      case 'ArrowDown': next = grid[r + 1]?.[c]; break;
      case 'ArrowUp': next = grid[r - 1]?.[c]; break;
      case 'Home': next = grid[r][0]; break;
      case 'End': next = grid[r][grid[r].length - 1]; break;
      case 'Enter': cell.querySelector('a')?.click(); return;
      default: return;
    }
    if (!next) return;
    e.preventDefault();
    for (const row of grid) for (const x of row) x.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  });
  const heatOnLoad = document.getElementById('heat');
  if (heatOnLoad) prepareGrid(heatOnLoad);

  // ---- live updates ------------------------------------------------------------------------------------------------
  const live = window.teamSkillsLive;
  if (!live) return;

  // Org workbook in the background: start it without leaving the page, follow exportProgress, then offer the file.
  const orgJob = document.getElementById('org-job');
  if (orgJob) {
    const status = document.getElementById('org-job-status');
    const bar = document.getElementById('org-job-progress');
    let exportId = null;
    let shown = -1;
    const show = p => {
      // Pushes and the one status read can arrive out of order: never step back (nor away from "done").
      const rank = p.downloadUrl ? 101 : p.percent;
      if (rank < shown) return;
      shown = rank;
      bar.hidden = false;
      bar.value = p.percent;
      if (p.downloadUrl) {
        bar.hidden = true;
        const a = document.createElement('a');
        a.href = p.downloadUrl;
        a.textContent = 'Download the workbook';
        a.id = 'org-job-download';
        status.replaceChildren(a);
      } else {
        status.textContent = p.phase === 'failed' ? 'The export failed; try again.' : `Preparing the workbook: ${p.phase}, ${p.percent}%`;
      }
    };
    live.on('exportProgress', p => { if (p.exportId === exportId) show(p); });
    orgJob.addEventListener('submit', async e => {
      e.preventDefault();
      const response = await fetch(orgJob.action || location.pathname + '?handler=OrgJob', {
        method: 'POST', body: new FormData(orgJob), headers: { Accept: 'application/json' },
      });
      if (!response.ok) { status.textContent = 'Could not start the export.'; return; }
      const job = await response.json();
      exportId = job.id;
      shown = -1;
      status.textContent = 'Preparing the workbook…';
      bar.hidden = false;
      // A small org may be done before this answer arrived, and a push can be lost (a reconnect, the Redis
      // backplane down): ask now, then every few seconds until it is done, besides following the pushes.
      const poll = async () => {
        if (exportId !== job.id || shown >= 100) return;
        try {
          const now = await fetch(job.statusUrl, { headers: { Accept: 'application/json' } });
          if (now.ok) show(await now.json());
        } catch { /* offline for a moment: the next poll or push catches up */ }
        if (exportId === job.id && shown < 100 && status.textContent.indexOf('failed') < 0) setTimeout(poll, 3000);
      };
      await poll();
    });
  }
  const flash = el => { el.classList.remove('flash'); void el.offsetWidth; el.classList.add('flash'); };
  const pct = v => (Math.round(v * 10) / 10).toFixed(1);
  const fields = ['engineerCount', 'recommendedCount', 'heldCount', 'gapCount', 'expiringSoonCount', 'expiredCount', 'unmappedCount'];

  function setText(el, text) {
    if (el && el.textContent !== text) { el.textContent = text; flash(el); }
  }

  // A push for another day (midnight passed) makes the whole page stale: say so rather than mix two days.
  function sameDay(container, s) {
    if (s.asOf === container.dataset.asof) return true;
    const notice = document.getElementById('stale');
    if (notice) notice.hidden = false;
    return false;
  }

  const overview = document.getElementById('overview');
  if (overview && overview.dataset.live === 'on') {
    live.on('gapSummaryUpdated', s => {
      if (!sameDay(overview, s)) return;
      const row = overview.querySelector(`tr[data-team-id="${s.teamId}"]`);
      if (!row) {
        // A team not listed: one with active engineers is new here; one without stays counted under the table, not listed.
        if (s.engineerCount > 0) document.getElementById('new-teams').hidden = false;
        return;
      }
      let changed = false;
      for (const f of fields) {
        const td = row.querySelector(`[data-field="${f}"]`);
        if (td && td.textContent !== String(s[f])) { td.textContent = String(s[f]); changed = true; }
      }
      const cov = row.querySelector('[data-field="coveragePercent"]');
      if (cov && (cov.dataset.value !== String(s.coveragePercent) || cov.dataset.recommended !== String(s.recommendedCount))) {
        // Nothing recommended for the team's roles: no coverage to show, "n/a" rather than 0%.
        const none = s.recommendedCount === 0;
        cov.dataset.value = String(s.coveragePercent);
        cov.dataset.recommended = String(s.recommendedCount);
        cov.querySelector('.bar span').style.width = (none ? '0.0' : pct(s.coveragePercent)) + '%';
        cov.querySelector('.bar').setAttribute('aria-label', none ? 'no certification recommended' : pct(s.coveragePercent) + '% coverage');
        cov.querySelector('.pct').textContent = none ? 'n/a' : pct(s.coveragePercent) + '%';
        changed = true;
      }
      if (changed) flash(row);
      // Tiles are sums over the rows, recomputed from what is on the page.
      const sum = f => [...overview.querySelectorAll(`tbody [data-field="${f}"]`)].reduce((a, td) => a + Number(td.textContent), 0);
      for (const f of ['gapCount', 'expiringSoonCount', 'expiredCount', 'engineerCount']) {
        setText(overview.querySelector(`[data-tile="${f}"]`), String(sum(f)));
      }
      const rec = sum('recommendedCount');
      setText(overview.querySelector('[data-tile="coverage"]'), rec === 0 ? 'n/a' : pct(100 * sum('heldCount') / rec) + '%');
    });
  }

  // ---- patching from a refetched page ------------------------------------------------------------------------------
  // Makes `el` look like `fresh`, touching only what differs, and returns the elements that changed. What the person
  // set is left alone: rows hidden by the filter, the sort mark, the grid's tab stop, an opened <details>.
  const personal = new Set(['hidden', 'aria-sort', 'tabindex', 'open']);
  function morph(el, fresh, changed = []) {
    if (!el || !fresh) return changed;
    let differs = false;
    for (const { name, value } of fresh.attributes) {
      if (!personal.has(name) && comparable(el, name) !== value) { el.setAttribute(name, value); differs = true; }
    }
    for (const { name } of [...el.attributes]) {
      if (!personal.has(name) && !fresh.hasAttribute(name) && comparable(el, name) !== null) { el.removeAttribute(name); differs = true; }
    }
    const mine = [...el.childNodes], theirs = [...fresh.childNodes];
    if (mine.length !== theirs.length || mine.some((n, i) => n.nodeName !== theirs[i].nodeName)) {
      el.replaceChildren(...theirs.map(n => document.importNode(n, true)));
      changed.push(el);
      return changed;
    }
    mine.forEach((n, i) => {
      if (n.nodeType === Node.ELEMENT_NODE) morph(n, theirs[i], changed);
      else if (n.nodeValue !== theirs[i].nodeValue) { n.nodeValue = theirs[i].nodeValue; differs = true; }
    });
    if (differs) changed.push(el);
    return changed;
  }
  // The highlight this script adds is not part of what the server said.
  function comparable(el, name) {
    if (name !== 'class' || !el.classList.contains('flash')) return el.getAttribute(name);
    return [...el.classList].filter(c => c !== 'flash').join(' ') || null;
  }

  // ---- the team page: refetch the page itself and patch its live regions from it ----------------------------------
  // A push about this team (any change, with the team's new numbers) is only the signal: the page asks for its own HTML
  // as a reload would (an ordinary signed-in GET, same access check, same rendering) and takes from it the
  // data-live-region elements, so tiles, ⚠ headers, cells, next steps and the forecast never mix two moments.
  const team = document.getElementById('team');
  if (team && team.dataset.live === 'on') {
    const teamId = Number(team.dataset.teamId);
    let running = false, queued = false;
    live.on('gapSummaryUpdated', s => {
      if (s.teamId === teamId && sameDay(team, s)) refresh();
    });

    // One refetch in flight and at most one queued behind it: a burst of pushes costs two page loads, not one each.
    async function refresh() {
      if (running) { queued = true; return; }
      running = true;
      try {
        await refetch();
      } catch (e) {
        console.warn('live refresh failed', e); // offline for a moment: the next push or reconnect catches up
      } finally {
        running = false;
        if (queued) { queued = false; refresh(); }
      }
    }

    async function refetch() {
      const response = await fetch(`/teams/${teamId}`, { headers: { Accept: 'text/html' }, cache: 'no-store' });
      // Signed out (a redirect to the sign-in page), no longer in scope (404) or a new day: a reload would not show
      // this page any more, so say so instead of patching.
      const fresh = response.ok && !response.redirected
        ? new DOMParser().parseFromString(await response.text(), 'text/html') : null;
      const next = fresh?.getElementById('team');
      if (!next || next.dataset.teamId !== team.dataset.teamId || next.dataset.asof !== team.dataset.asof) {
        document.getElementById('stale').hidden = false;
        return;
      }
      const region = (doc, name) => doc.querySelector(`[data-live-region="${name}"]`);
      for (const name of ['manager', 'tiles', 'forecast']) {
        flashChanged(morph(region(document, name), region(fresh, name)));
      }
      patchEngineers(region(document, 'engineers'), region(fresh, 'engineers'));
    }

    // Highlights what changed: in the heat map a cell or header (a row's data changes with its cells), elsewhere a
    // tile, the chart, a region.
    function flashChanged(changed) {
      const target = el => el.closest('table') ? el.closest('td, th') : el.closest('[data-tile], .tile, figure, [data-live-region]');
      for (const el of new Set(changed.map(target).filter(Boolean))) flash(el);
    }

    function patchEngineers(region, freshRegion) {
      const heat = region.querySelector('#heat'), freshHeat = freshRegion.querySelector('#heat');
      if (!heat || !freshHeat) {
        // The team had or has no engineers: there is no grid, sort or filter to keep.
        flashChanged(morph(region, freshRegion));
        const table = region.querySelector('#heat');
        if (table) prepareGrid(table);
        return;
      }
      const columns = t => [...t.tHead.rows[0].cells].map(columnKey).join('\n');
      const people = t => [...t.tBodies[0].rows].map(r => r.dataset.employee).sort().join('\n');
      if (columns(heat) === columns(freshHeat) && people(heat) === people(freshHeat)) patchRows(heat, freshHeat);
      else replaceTable(heat, freshHeat);
      const table = region.querySelector('#heat');
      prepareGrid(table);
      // The counter: "n of m shown" under a filter, else what the page says.
      if (filtering('heat')) applyFilters('heat');
      else morph(region.querySelector('[data-count-for="heat"]'), freshRegion.querySelector('[data-count-for="heat"]'));
    }

    // Same engineers, same columns: change the cells that changed, in place (focus, tooltips and scroll stay put).
    function patchRows(heat, freshHeat) {
      const changed = morph(heat.tHead, freshHeat.tHead);
      const body = heat.tBodies[0];
      const rowOf = id => body.querySelector(`tr[data-employee="${CSS.escape(id)}"]`);
      const order = [...freshHeat.tBodies[0].rows].map(fresh => {
        const row = rowOf(fresh.dataset.employee);
        morph(row, fresh, changed);
        return row;
      });
      flashChanged(changed);
      // The page's order (a name may have changed), then the person's sort on top, as after a reload and a click.
      if (order.some((row, i) => body.rows[i] !== row)) keepingFocus(() => body.append(...order));
      reapplySort(heat);
    }

    // Engineers or columns came or went: the new table replaces the old one, keeping what the person set.
    function replaceTable(heat, freshHeat) {
      const stop = heat.tBodies[0].querySelector('td[tabindex="0"]');
      const active = heat.contains(document.activeElement) ? document.activeElement : null;
      const place = cell => cell && {
        employee: cell.parentElement.dataset.employee, row: cell.parentElement.sectionRowIndex,
        key: columnKey(heat.tHead.rows[0].cells[cell.cellIndex]), column: cell.cellIndex,
      };
      const where = place(active?.closest('tbody td') ?? stop);
      const header = active?.closest('thead th');
      const known = new Set([...heat.tBodies[0].rows].map(r => r.dataset.employee));
      const wrap = heat.parentElement, scroll = wrap.scrollLeft;

      const table = document.importNode(freshHeat, true);
      heat.replaceWith(table);
      wrap.scrollLeft = scroll;
      for (const row of table.tBodies[0].rows) if (!known.has(row.dataset.employee)) flash(row);
      reapplySort(table);
      if (filtering('heat')) applyFilters('heat');

      // The tab stop (and the focus, if it was in the grid) goes back to the same engineer and column, or to the
      // nearest cell when they are gone.
      const keys = [...table.tHead.rows[0].cells].map(columnKey);
      if (where) {
        const rows = [...table.tBodies[0].rows].filter(r => !r.hidden);
        const row = rows.find(r => r.dataset.employee === where.employee) ?? rows[Math.min(where.row, rows.length - 1)];
        const column = keys.indexOf(where.key);
        const cell = row?.cells[column >= 0 ? column : Math.min(where.column, row.cells.length - 1)];
        if (cell) {
          for (const td of table.tBodies[0].querySelectorAll('td[tabindex="0"]')) td.tabIndex = -1;
          cell.tabIndex = 0;
          if (active && !header) cell.focus({ preventScroll: true });
        }
      }
      if (header) table.tHead.rows[0].cells[Math.max(0, keys.indexOf(columnKey(header)))]?.querySelector('button')?.focus({ preventScroll: true });
    }
  }
})();
