/** Tailwind CSS v3 configuration. The classes come from the templ views and
 * the small script that adds form rows. Build: npm run build:css */
/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ['./views/**/*.templ', './static/js/app.js'],
  theme: {
    extend: {
      fontFamily: {
        mono: ['ui-monospace', 'SFMono-Regular', 'Menlo', 'Consolas', 'monospace'],
      },
    },
  },
  plugins: [],
};
