/** Tailwind CSS v3 configuration. The classes come from the templ views and
 * the small script that adds form rows. Build: npm run build:css */
/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ['./views/**/*.templ', './static/js/app.js'],
  // Run states are set by app.js as 'state-' + name.
  safelist: ['state-running', 'state-completed', 'state-failed', 'state-stopped', 'state-interrupted'],
  theme: {
    extend: {
      fontFamily: {
        mono: ['ui-monospace', 'SFMono-Regular', 'Menlo', 'Consolas', 'monospace'],
      },
    },
  },
  plugins: [],
};
