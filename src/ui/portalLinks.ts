/**
 * Where an address leaves the extension, for the browser or the clipboard: only a
 * `PortalLink`, which `taskListLink` and `taskLink` build on the portal's own origin from
 * checked ids. ESLint refuses `openExternal` and the clipboard anywhere else in src.
 */
import * as vscode from 'vscode';
import { PortalLink } from '../core/taskListLink';

export function openPortalLink(link: PortalLink): Thenable<boolean> {
  return vscode.env.openExternal(vscode.Uri.parse(link, true));
}

export function copyPortalLink(link: PortalLink): Thenable<void> {
  return vscode.env.clipboard.writeText(link);
}
