package main

import "testing"

// A run in which streams failed is an error, so CI's smoke run fails on it.
func TestFailedStreamsFailTheRun(t *testing.T) {
	ok := []result{{title: "1", rows: []row{{metric: "errors", values: map[string]float64{"playground": 0, "direct": 0}}}}}
	if err := failedStreams(ok); err != nil {
		t.Errorf("no failures: %v", err)
	}
	bad := []result{{title: "3", rows: []row{{metric: "gap", values: map[string]float64{"playground": 9}}, {metric: "errors", values: map[string]float64{"playground": 50}}}}}
	if err := failedStreams(bad); err == nil {
		t.Error("50 failed streams passed")
	}
}
