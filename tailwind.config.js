/** Tailwind CSS v3 configuration. The classes come from the templ views,
 * the small script that adds form rows and the markdown renderer. Build: npm run build:css */
/** @type {import('tailwindcss').Config} */
module.exports = {
  // The dark theme is the class dark on <html>, set by static/js/theme.js
  // from the stored choice or prefers-color-scheme.
  darkMode: 'class',
  // web/markdown writes the md-image class into rendered answers.
  content: ['./views/**/*.templ', './views/js/*.js', './web/markdown/*.go'],
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
