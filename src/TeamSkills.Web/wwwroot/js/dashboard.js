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
  const columnKeys = table => [...table.tHead.rows[0].cells].map(columnKey);
  // A row's: the data attribute its table names in data-row-key (an engineer's id, a team's).
  const rowKey = row => row.dataset[row.closest('table').dataset.rowKey];

  // Moving or replacing rows takes the focus off a cell in them: give it back.
  function keepingFocus(change) {
    const active = document.activeElement;
    change();
    if (active && active.isConnected && document.activeElement !== active) active.focus({ preventScroll: true });
  }

  // `rows` in the order the header `th` sorts them; a stable sort, so ties keep the order given.
  function sortRows(rows, th, ascending) {
    const index = th.cellIndex;
    const kind = th.querySelector('button[data-sort]').dataset.sort;
    return [...rows].sort((a, b) => {
      const x = cellValue(a, index, kind), y = cellValue(b, index, kind);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    });
  }
  // Makes the body hold exactly `rows` in that order, and moves nothing when it already does.
  function arrange(body, rows) {
    if (rows.length === body.rows.length && rows.every((row, i) => body.rows[i] === row)) return;
    keepingFocus(() => {
      const keep = new Set(rows);
      for (const row of [...body.rows]) if (!keep.has(row)) row.remove();
      body.append(...rows);
    });
  }
  function sortBy(th, ascending) {
    for (const h of th.parentElement.cells) if (h !== th) h.removeAttribute('aria-sort');
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    const body = th.closest('table').tBodies[0];
    arrange(body, sortRows(body.rows, th, ascending));
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
  // The header of the person's sort in this table, or null (none chosen, or its column is gone: the page's own order).
  function chosenSort(table) {
    const chosen = chosenSorts.get(table.id);
    if (!chosen) return null;
    const th = [...table.tHead.rows[0].cells].find(h => columnKey(h) === chosen.key);
    if (!th) { chosenSorts.delete(table.id); return null; }
    return { th, ascending: chosen.ascending };
  }
  function reapplySort(table) {
    const chosen = chosenSort(table);
    if (chosen) sortBy(chosen.th, chosen.ascending);
  }

  // ---- filters -----------------------------------------------------------------------------------------------------
  // Accents and case ignored on both sides: "garcia" finds "García" (NFD splits a letter from its marks, dropped here).
  const fold = s => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const filterText = tableId => fold((document.querySelector(`[data-filter-for="${CSS.escape(tableId)}"]`)?.value || '').trim());
  const filterStatus = tableId => document.querySelector(`[data-status-filter-for="${CSS.escape(tableId)}"]`)?.value || '';
  const filtering = tableId => filterText(tableId) !== '' || filterStatus(tableId) !== '';
  function applyFilters(tableId) {
    const table = document.getElementById(tableId);
    if (!table) return;
    const text = filterText(tableId), status = filterStatus(tableId);
    let shown = 0;
    for (const row of table.tBodies[0].rows) {
      const haystack = fold(row.dataset.search ?? row.textContent);
      const statuses = (row.dataset.statuses || '').split(' ');
      const visible = (!text || haystack.includes(text)) && (!status || statuses.includes(status));
      row.hidden = !visible;
      if (visible) shown++;
    }
    const counter = document.querySelector(`[data-count-for="${CSS.escape(tableId)}"]`);
    if (counter) counter.textContent = `${shown} of ${table.tBodies[0].rows.length} shown`;
    // Served hidden beside the table, in its live region: a table that is gone takes its message with it.
    const none = document.querySelector(`[data-none-for="${CSS.escape(tableId)}"]`);
    if (none) none.hidden = shown > 0 || table.tBodies[0].rows.length === 0;
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
    let exportId = null, asOf = null;
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
        status.replaceChildren(`Organisation workbook${asOf ? ` as of ${asOf}` : ''} is ready: `, a);
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
      asOf = job.asOf;
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

  // ---- patching from a refetched page ------------------------------------------------------------------------------
  // Makes `el` look like `fresh`, touching only what differs, and returns the elements that changed. What the person
  // set is left alone: rows hidden by the filter, the sort mark, the grid's tab stop, an opened <details>, a
  // filtered table's "n of m shown" (recomputed by settle). Sortable tables are patched row by row (patchTable).
  const personal = new Set(['hidden', 'aria-sort', 'tabindex', 'open']);
  function morph(el, fresh, changed = []) {
    if (!el || !fresh) return changed;
    if (el.matches('table.sortable[id]') && fresh.matches('table.sortable[id]')) return patchTable(el, fresh, changed);
    // Recomputed by settle when the table is patched; taken as served when the fresh page has no such table (emptied).
    if (el.dataset?.countFor && filtering(el.dataset.countFor) && fresh.ownerDocument.getElementById(el.dataset.countFor)) return changed;
    let differs = false;
    for (const { name, value } of fresh.attributes) {
      // data-summary is the page's record of the numbers it shows, not something shown: kept current, never flashed.
      if (!personal.has(name) && comparable(el, name) !== value) { el.setAttribute(name, value); differs ||= name !== 'data-summary'; }
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

  // Rows a live update brought in: highlighted whole (flashChanged).
  const arrived = new WeakSet();

  // A table the person may be working in is patched row by row, or replaced when its columns came or went; either way
  // their sort, filter and tab stop are applied to it after (settle) and the focus goes back where it was (putBack).
  function patchTable(table, fresh, changed) {
    const where = placeIn(table);
    const now = columnKeys(table).join('\n') === columnKeys(fresh).join('\n')
      ? patchRows(table, fresh, changed) : replaceTable(table, fresh, changed);
    settle(now);
    putBack(now, where);
    return changed;
  }

  // Rows are matched by their key (an engineer, a team): the ones that stay are patched in place (focus and scroll stay
  // put), new ones come in, gone ones leave. They are put in their final order (the page's, then the person's sort on
  // top, as after a reload and a click) at once, and only if it differs from what is there.
  function patchRows(table, fresh, changed) {
    morph(table.tHead, fresh.tHead, changed);
    const mine = new Map([...table.tBodies[0].rows].map(r => [rowKey(r), r]));
    let rows = [...fresh.tBodies[0].rows].map(f => {
      const row = mine.get(rowKey(f));
      if (row) { morph(row, f, changed); return row; }
      const added = document.importNode(f, true);
      arrived.add(added);
      changed.push(added);
      return added;
    });
    const chosen = chosenSort(table);
    if (chosen) rows = sortRows(rows, chosen.th, chosen.ascending);
    arrange(table.tBodies[0], rows);
    return table;
  }

  function replaceTable(table, fresh, changed) {
    const known = new Set([...table.tBodies[0].rows].map(rowKey));
    const wrap = table.parentElement, scroll = wrap.scrollLeft;
    const replacement = document.importNode(fresh, true);
    table.replaceWith(replacement);
    wrap.scrollLeft = scroll;
    for (const row of replacement.tBodies[0].rows) if (!known.has(rowKey(row))) { arrived.add(row); changed.push(row); }
    return replacement;
  }

  // What the person set, applied to a table a live update patched or put in: their sort, their filter (and its
  // count), the grid's one tab stop.
  const settled = new WeakSet();
  function settle(table) {
    settled.add(table);
    reapplySort(table);
    if (filtering(table.id)) applyFilters(table.id);
    if (table.id === 'heat') prepareGrid(table);
  }

  // Where the person is in a table (the focused cell, link or header button; else the grid's tab stop) by row and
  // column identity and by position, so putBack can return there, or to the nearest cell, when rows or columns change.
  function placeIn(table) {
    const active = table.contains(document.activeElement) ? document.activeElement : null;
    const cell = active?.closest('td, th') ?? (table.id === 'heat' ? table.tBodies[0].querySelector('td[tabindex="0"]') : null);
    if (!cell) return null;
    return {
      cell, active, header: !!cell.closest('thead'), row: rowKey(cell.parentElement), index: cell.parentElement.sectionRowIndex,
      key: columnKey(table.tHead.rows[0].cells[cell.cellIndex]), column: cell.cellIndex,
    };
  }
  function putBack(table, where) {
    if (!where || table.contains(where.cell)) return; // patched in place: nothing moved
    const column = columnKeys(table).indexOf(where.key);
    let cell;
    if (where.header) cell = table.tHead.rows[0].cells[Math.max(0, column)];
    else {
      const rows = [...table.tBodies[0].rows].filter(r => !r.hidden);
      const row = rows.find(r => rowKey(r) === where.row) ?? rows[Math.min(where.index, rows.length - 1)];
      cell = row?.cells[column >= 0 ? column : Math.min(where.column, row.cells.length - 1)];
      if (cell && table.id === 'heat') {
        for (const td of table.tBodies[0].querySelectorAll('td[tabindex="0"]')) td.tabIndex = -1;
        cell.tabIndex = 0;
      }
    }
    if (!cell || !where.active) return;
    const target = where.active === where.cell ? cell : cell.querySelector('button, a') ?? cell;
    target.focus({ preventScroll: true });
  }

  // Highlights what changed: in the heat map a cell or header (a row's data changes with its cells), in another table
  // the row, elsewhere a tile, the chart, a region; rows that came in, whole. All restart together: removing the class
  // and adding it back needs a style flush in between to replay the animation, and one serves every element.
  function flashChanged(changed) {
    const target = el => {
      if (arrived.has(el)) return el;
      const table = el.closest('table');
      if (!table) return el.closest('[data-tile], .tile, figure, [data-live-region]');
      return table.id === 'heat' ? el.closest('td, th') : el.closest('tr');
    };
    const targets = [...new Set(changed.map(target).filter(Boolean))];
    if (!targets.length) return;
    for (const el of targets) el.classList.remove('flash');
    void document.body.offsetWidth;
    for (const el of targets) el.classList.add('flash');
  }

  // A <details> the person opened (the forecast's "show as a table") stays open when a live update rebuilds it, even
  // after it was gone for a while (nothing to forecast): remembered by its region and its summary's text.
  const openedDetails = new Set();
  const detailsKey = d => `${d.closest('[data-live-region]')?.dataset.liveRegion}\n${d.querySelector('summary')?.textContent.trim()}`;
  document.addEventListener('toggle', e => {
    if (!(e.target instanceof HTMLDetailsElement)) return;
    if (e.target.open) openedDetails.add(detailsKey(e.target)); else openedDetails.delete(detailsKey(e.target));
  }, true);
  function reopenDetails() {
    for (const d of document.querySelectorAll('[data-live-region] details:not([open])')) if (openedDetails.has(detailsKey(d))) d.open = true;
  }

  // ---- a live page refetches itself and patches its live regions from it -------------------------------------------
  // A push (a change, with a team's new numbers) is only the signal: the page asks for its own URL, query string and
  // all, as a reload would (an ordinary signed-in GET: the same access check and the same rendering) and takes from
  // the answer its data-live-region elements, so tiles, charts, tables and counts never mix two moments.
  // `concerns(s)` says whether a summary is about this page; `shown(s, how)` whether the page can tell it already shows
  // it (how: the catch-up after connecting, see live.js), which then costs no request.
  function refetchOnPush(container, concerns, shown) {
    let state = 'idle', queued = false, stale = false;
    live.on('gapSummaryUpdated', (s, how) => {
      if (stale || !concerns(s)) return;
      // A push for another day (midnight passed) makes the whole page stale: say so rather than mix two days.
      if (s.asOf !== container.dataset.asof) markStale();
      else if (!shown(s, how)) refresh();
    });
    // A roster import took a team from (or gave one to) this connection: check the page against the server.
    live.on('scopeChanged', () => refresh());
    // After a catch-up: a team the page shows that the connection no longer hears of left the caller's scope while the
    // page was not connected (no scopeChanged reached it then).
    live.on('caughtUp', ids => {
      const hears = new Set(ids.map(String));
      if (!stale && shownTeamIds(container).some(id => !hears.has(id))) refresh();
    });

    // Signed out, out of scope or a new day: a reload would show something else. Say so once, and stop asking.
    function markStale() {
      stale = true;
      document.getElementById('stale').hidden = false;
    }

    // One refetch in flight and at most one queued behind it: a burst of pushes costs two page loads, not one each.
    // Each waits a random 0.3-1.5 s first: pushes reach every open page at the same moment, and their refetches should
    // not reach the server at the same moment too. Pushes dispatched together (the catch-up after connecting) make one.
    function refresh() {
      if (stale || state === 'waiting') return;
      if (state === 'running') { queued = true; return; }
      state = 'waiting';
      setTimeout(run, 300 + Math.random() * 1200);
    }
    async function run() {
      state = 'running';
      try {
        if (!stale) await refetch();
      } catch (e) {
        console.warn('live refresh failed', e); // offline or restarting for a moment: the next push or reconnect catches up
      } finally {
        state = 'idle';
        if (queued) { queued = false; refresh(); }
      }
    }

    async function refetch() {
      // redirect: 'manual': the sign-in page a signed-out request is sent to is not this page; the redirect itself
      // comes back as an opaque response.
      const response = await fetch(location.pathname + location.search,
        { headers: { Accept: 'text/html' }, cache: 'no-store', redirect: 'manual' });
      if (response.type === 'opaqueredirect' || [401, 403, 404].includes(response.status)) { markStale(); return; }
      if (!response.ok) throw new Error(`refetch answered ${response.status}`);
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
      const next = fresh.getElementById(container.id);
      const identity = el => JSON.stringify({ ...el.dataset });
      if (!next || identity(next) !== identity(container)) { markStale(); return; }
      const regions = doc => [...doc.querySelectorAll('[data-live-region]')];
      const names = doc => regions(doc).map(r => r.dataset.liveRegion).join('\n');
      const freshRegion = region => fresh.querySelector(`[data-live-region="${CSS.escape(region.dataset.liveRegion)}"]`);
      const changed = [];
      if (names(document) === names(fresh)) {
        for (const region of regions(document)) morph(region, freshRegion(region), changed);
      } else {
        // Another layout (the overview's first team came, or its last one went): the whole page's part, as served, and
        // the regions outside it.
        morph(container, next, changed);
        for (const region of regions(document)) if (!container.contains(region)) morph(region, freshRegion(region), changed);
      }
      if (fresh.title && document.title !== fresh.title) document.title = fresh.title; // a renamed team
      // Tables the update put in whole (the heat map of a team's first engineer) get the person's settings too.
      for (const table of document.querySelectorAll('table.sortable[id]')) if (!settled.has(table)) settle(table);
      reopenDetails();
      flashChanged(changed);
    }
  }

  // A team's summary as the page carries it in data-summary (GapSummaryUpdated.PageKey builds the same on the server).
  const summaryKey = s => [s.teamName, s.managerEmail ?? '', s.engineerCount, s.recommendedCount, s.heldCount, s.gapCount,
    s.expiringSoonCount, s.expiredCount, s.unmappedCount].join('\u001f');
  function showsSummary(s) {
    const el = document.querySelector(`[data-team-id="${CSS.escape(String(s.teamId))}"][data-summary]`);
    if (el) return el.dataset.summary === summaryKey(s);
    // Not on the page: right only for a team without engineers, which the overview counts but does not list.
    const unlisted = (document.getElementById('empty-teams')?.dataset.teamIds ?? '').split(' ');
    return s.engineerCount === 0 && unlisted.includes(String(s.teamId));
  }

  // The teams the page shows numbers of: rows and tiles carrying data-summary, and the overview's unlisted empty teams.
  function shownTeamIds(container) {
    const ids = [...container.querySelectorAll('[data-team-id][data-summary]')].map(el => el.dataset.teamId);
    ids.push(...(document.getElementById('empty-teams')?.dataset.teamIds ?? '').split(' ').filter(Boolean));
    return ids;
  }

  // A team page refetches on every push about its team: names, next steps and expiry dates change without the numbers.
  // Only the catch-up right after the page connected is checked against it (the page was rendered a moment before).
  const team = document.getElementById('team');
  if (team && team.dataset.live === 'on') {
    refetchOnPush(team, s => s.teamId === Number(team.dataset.teamId), (s, how) => how?.catchUp === 'first' && showsSummary(s));
  }
  // The overview shows every team the server lets this connection hear of: any push concerns it, and one whose numbers
  // it already shows is skipped (a push about one team is sent to every open overview, and every reconnection replays
  // them all).
  const overview = document.getElementById('overview');
  if (overview && overview.dataset.live === 'on') refetchOnPush(overview, () => true, showsSummary);
})();
