package queue

import (
	"fmt"
	"sync"
	"testing"
)

// BenchmarkEnqueue measures Enqueue with fsync on, as the relay runs it, for
// 1 KB and 100 KB bodies and 1 or 16 concurrent callers (SMTP sessions).
// msgs/s is the throughput. The nosync variants show the cost of
// everything but the disk.
func BenchmarkEnqueue(b *testing.B) {
	for _, size := range []int{1 << 10, 100 << 10} {
		for _, callers := range []int{1, 16} {
			for _, mode := range []string{"fsync", "nosync"} {
				name := fmt.Sprintf("size=%dKB/callers=%d/%s", size>>10, callers, mode)
				b.Run(name, func(b *testing.B) {
					benchEnqueue(b, size, callers, mode)
				})
			}
		}
	}
}

func benchEnqueue(b *testing.B, size, callers int, mode string) {
	s, err := Open(b.TempDir(), Options{NoSync: mode == "nosync"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	body := make([]byte, size)
	to := []string{"rcpt@example.org"}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := range callers {
		n := b.N / callers
		if c < b.N%callers {
			n++
		}
		wg.Go(func() {
			for range n {
				if _, err := s.Enqueue("sender@example.com", to, body); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
