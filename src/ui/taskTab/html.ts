/**
 * The task tab's page: a shell that loads only the extension's own script (with a fresh nonce)
 * and stylesheet, under a content security policy that allows nothing else: no inline script
 * or style, no remote content, no images, frames or connections. Everything the tab shows is
 * added by that script as text. Pure, for the unit tests; the panel passes the webview's URIs.
 */

export interface ShellParts {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** `webview.asWebviewUri` of dist/taskTab.js and media/taskTab.css. */
  readonly scriptUri: string;
  readonly styleUri: string;
  /** Fresh for every page (`newNonce`). */
  readonly nonce: string;
  /** `vscode.env.language`. */
  readonly language: string;
  /** The extension's own words (no portal text: the page's title is the tab's). */
  readonly title: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `style-src ${cspSource}`, `script-src 'nonce-${nonce}'`, `base-uri 'none'`, `form-action 'none'`].join('; ');
}

export function shellHtml(parts: ShellParts): string {
  const language = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(parts.language) ? parts.language : 'en';
  return `<!DOCTYPE html>
<html lang="${language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attribute(contentSecurityPolicy(parts.cspSource, parts.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attribute(parts.styleUri)}">
<title>${text(parts.title)}</title>
</head>
<body>
<div id="root"></div>
<script nonce="${attribute(parts.nonce)}" src="${attribute(parts.scriptUri)}"></script>
</body>
</html>`;
}

function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attribute(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
