// Package experiment runs one prompt over a table of cases under several
// settings (the panes), each cell repeated, and checks every answer. This
// file's Scheduler is the part that sends: a concurrency limit per
// provider, Retry-After pauses, Stop (the context) and the retry of one
// cell (a Run of one job).
package experiment
