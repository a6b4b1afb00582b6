// Imports pages: progress for uploads and for applying a preview. Progressive enhancement only: without this file
// (or without XMLHttpRequest upload events) the forms post and redirect as plain HTML forms.
(function () {
    'use strict';

    var phaseText = {
        reading: 'Reading the file…',
        validating: 'Checking rows…',
        writing: 'Writing the changes…',
        done: 'Done. Loading the result…',
        failed: 'The import failed on the server.'
    };

    // The form whose import the server is working on now; server progress updates are shown in it.
    var active = null;
    var subscribed = false;

    // window.teamSkillsLive (the live connection, when the page has one) pushes importProgress messages for imports
    // the signed-in user started. Looked up at submit time: it may be set up after this script ran.
    function subscribe() {
        if (subscribed) return true;
        var live = window.teamSkillsLive;
        if (!live || typeof live.on !== 'function') return false;
        live.on('importProgress', onServerProgress);
        subscribed = true;
        return true;
    }

    function onServerProgress(update) {
        if (!active || !update) return;
        if (update.kind && active.kind && update.kind !== active.kind) return;
        var text = phaseText[update.phase] || String(update.phase || '');
        if (update.phase === 'validating' && update.rowsTotal > 0) {
            text = 'Checking rows… ' + Number(update.rowsDone).toLocaleString() + ' of ' + Number(update.rowsTotal).toLocaleString();
        }
        show(active.form, typeof update.percent === 'number' ? update.percent : null, text);
    }

    function parts(form) {
        var box = form.querySelector('.import-progress');
        return {
            box: box,
            bar: box ? box.querySelector('progress') : null,
            status: box ? box.querySelector('.import-status') : null,
            button: form.querySelector('button[type=submit]')
        };
    }

    // percent null: indeterminate (a <progress> without a value animates on its own).
    function show(form, percent, text) {
        var p = parts(form);
        if (!p.box) return;
        p.box.hidden = false;
        if (percent === null) p.bar.removeAttribute('value');
        else p.bar.value = Math.max(0, Math.min(100, percent));
        p.status.textContent = text;
    }

    function busy(form, on) {
        var p = parts(form);
        if (p.button) p.button.disabled = on;
        if (!on && p.box) p.box.hidden = true;
    }

    function problem(form, text) {
        var el = form.querySelector('.import-problem');
        if (!el) {
            el = document.createElement('p');
            el.className = 'error import-problem';
            el.setAttribute('role', 'alert');
            form.appendChild(el);
        }
        el.hidden = !text;
        el.textContent = text || '';
    }

    function megabytes(bytes) {
        return (bytes / (1024 * 1024)).toFixed(1);
    }

    // A refused upload comes back as the Imports page with the reason in [data-import-problem].
    function messageFrom(xhr) {
        try {
            var doc = new DOMParser().parseFromString(xhr.responseText || '', 'text/html');
            var el = doc.querySelector('[data-import-problem]');
            if (el && el.textContent.trim()) return el.textContent.trim();
        } catch (e) { /* not HTML: fall through to the status */ }
        switch (xhr.status) {
            case 400: return 'The form was refused (it may have expired). Reload the page and try again.';
            case 403: return 'Your role may not import files.';
            case 413: return 'The file is too large to upload.';
            default: return 'The server answered ' + xhr.status + '. Nothing was imported.';
        }
    }

    function upload(form, event) {
        var input = form.querySelector('input[type=file]');
        var file = input && input.files && input.files[0];
        var probe = window.XMLHttpRequest ? new XMLHttpRequest() : null;
        if (!file || !window.FormData || !probe || !('upload' in probe)) return; // the plain form post does it
        event.preventDefault();
        problem(form, '');

        var max = Number(form.getAttribute('data-max-bytes'));
        if (max && file.size > max) {
            problem(form, 'This file is ' + megabytes(file.size) + ' MB; uploads are limited to ' + megabytes(max) + ' MB.');
            return;
        }
        var kindField = form.querySelector('input[name=kind]');
        var kind = kindField ? kindField.value : null;
        var xhr = probe;
        xhr.open('POST', form.action);
        busy(form, true);
        show(form, 0, 'Uploading… 0%');
        xhr.upload.onprogress = function (e) {
            if (!e.lengthComputable) return;
            var percent = Math.round(e.loaded / e.total * 100);
            show(form, percent, 'Uploading… ' + percent + '% of ' + megabytes(e.total) + ' MB');
        };
        xhr.upload.onload = function () {
            active = { form: form, kind: kind };
            var live = subscribe();
            show(form, live ? 0 : null, live ? 'Uploaded. Waiting for the server…' : 'Uploaded. Checking the file (nothing is applied yet)…');
        };
        xhr.onload = function () {
            active = null;
            // Success is a redirect to the preview page, which XMLHttpRequest has followed: go there.
            if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
                window.location.assign(xhr.responseURL);
                return;
            }
            busy(form, false);
            problem(form, messageFrom(xhr));
        };
        xhr.onerror = function () {
            active = null;
            busy(form, false);
            problem(form, 'The upload did not reach the server. Check the connection and try again.');
        };
        // FormData(form) carries every field, the antiforgery token included.
        xhr.send(new FormData(form));
    }

    // Apply posts no file: the browser's own form post stays in charge; this only shows that work is going on.
    function apply(form) {
        var kindField = form.querySelector('input[name=kind]');
        active = { form: form, kind: kindField ? kindField.value : null };
        var live = subscribe();
        show(form, live ? 0 : null, 'Applying…');
        // Disabled after the submission has started, so the post still happens; a second click does not.
        window.setTimeout(function () { busy(form, true); }, 0);
    }

    document.addEventListener('submit', function (event) {
        var form = event.target;
        if (!(form instanceof HTMLFormElement)) return;
        if (form.hasAttribute('data-import-upload')) upload(form, event);
        else if (form.hasAttribute('data-import-apply')) {
            // A full-mode roster that deactivates more engineers than it keeps asks first (the page says why above).
            var question = form.getAttribute('data-confirm');
            if (question && !window.confirm(question)) { event.preventDefault(); return; }
            apply(form);
        }
    });

    // Back from the result page (back/forward cache): the forms must be usable again.
    window.addEventListener('pageshow', function (event) {
        if (!event.persisted) return;
        active = null;
        var forms = document.querySelectorAll('form[data-import-upload], form[data-import-apply]');
        for (var i = 0; i < forms.length; i++) busy(forms[i], false);
    });
})();
