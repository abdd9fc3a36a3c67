// Bundles the extension into one CommonJS file for VS Code's Node extension host, and the task
// tab's page script into one browser file (an IIFE the tab's HTML loads with its nonce).
// `--production` minifies (npm run package); otherwise source maps help debugging.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/**
 * node-fetch 2 takes `URL` from Node's `url` module and falls back to the `whatwg-url`
 * package only on Node < 10; that fallback drags 280 KB of Unicode tables into the bundle.
 */
const nodeUrlInsteadOfWhatwgUrl = {
  name: 'node-url-instead-of-whatwg-url',
  setup(build) {
    build.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: 'whatwg-url', namespace: 'node-url' }));
    build.onLoad({ filter: /.*/, namespace: 'node-url' }, () => ({
      contents: 'module.exports = { URL: require("url").URL };',
      loader: 'js',
    }));
  },
};

/** What the "watch" task's problem matcher in .vscode/tasks.json reads (as in esbuild-sample). */
const watchProblemMatcher = {
  name: 'watch-problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

const extension = await esbuild.context({
  entryPoints: ['src/extension.ts'],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  outfile: 'dist/extension.js',
  external: ['vscode'],
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  plugins: watch ? [nodeUrlInsteadOfWhatwgUrl, watchProblemMatcher] : [nodeUrlInsteadOfWhatwgUrl],
  logLevel: 'warning',
});

const taskTab = await esbuild.context({
  entryPoints: ['src/webview/taskTab.ts'],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  outfile: 'dist/taskTab.js',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  plugins: watch ? [watchProblemMatcher] : [],
  logLevel: 'warning',
});

for (const ctx of [extension, taskTab]) {
  if (watch) {
    await ctx.watch();
  } else {
    await ctx.rebuild();
    await ctx.dispose();
  }
}
