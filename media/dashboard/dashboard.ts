/**
 * Entry point of the webview bundle (esbuild: media/dashboard/dashboard.ts -> media/dist/dashboard.js, an IIFE for
 * the browser; the styles are their own entry, dashboard.css). See app.ts.
 */
import type { VsCodeApi } from './app';
import { DashboardApp } from './app';

declare function acquireVsCodeApi(): VsCodeApi;

const root = document.getElementById('app');
if (root) new DashboardApp(acquireVsCodeApi(), root);
