/**
 * The dashboard's HTML shell (no `vscode` import, so the Chromium test renders exactly what the panel serves). The
 * page holds no data and no secret: the script asks for data with `ready` and draws it.
 *
 * Content Security Policy: nothing by default; the bundled script only with this load's nonce; the bundled styles
 * and the codicon font only from the webview's own resource origin (`webview.cspSource`); images from there or
 * `data:` (Chart.js draws on a canvas, which needs neither). No inline style, no inline script, no remote origin.
 */
import { randomBytes } from 'node:crypto';

export interface DashboardHtmlOptions {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** From {@link createNonce}: new for every load. */
  readonly nonce: string;
  /** `webview.asWebviewUri(media/dist/dashboard.js)`, as a string. */
  readonly scriptUri: string;
  /** `webview.asWebviewUri(media/dist/dashboard.css)`, as a string. */
  readonly styleUri: string;
}

/** A nonce of 128 random bits from the OS (base64), for the script tag and the CSP. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

const escapeAttribute = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function dashboardCsp(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function dashboardHtml(options: DashboardHtmlOptions): string {
  const nonce = escapeAttribute(options.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(dashboardCsp(options.cspSource, options.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(options.styleUri)}">
<title>Model Router Costs</title>
</head>
<body>
<main id="app" class="app" aria-busy="true">
<p class="loading"><span class="codicon codicon-loading codicon-modifier-spin" aria-hidden="true"></span> Loading the ledger…</p>
</main>
<script nonce="${nonce}" src="${escapeAttribute(options.scriptUri)}"></script>
</body>
</html>
`;
}
