package relay

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// BenchmarkRelay measures the whole relay on loopback, fsync on: clients
// submit over authenticated sessions, the relay signs, queues durably,
// answers 250 and delivers to a sink found by MX through the in-process
// DNS. It reports messages per second and the p99 latency from the start
// of a submission to its arrival at the sink.
func BenchmarkRelay(b *testing.B) {
	for _, key := range []string{"rsa", "ed"} {
		for _, size := range []int{1 << 10, 100 << 10} {
			b.Run(fmt.Sprintf("key=%s/size=%dKB", key, size>>10), func(b *testing.B) {
				benchRelay(b, key, size)
			})
		}
	}
}

func benchRelay(b *testing.B, key string, size int) {
	w := newWorldKeys(b, key)
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	arrivedAll := make(chan struct{})
	total := 0
	w.sink.arrived = func(subject string) {
		mu.Lock()
		defer mu.Unlock()
		if t0, ok := sent[subject]; ok {
			lat = append(lat, time.Since(t0))
			delete(sent, subject)
			if len(lat) == total {
				close(arrivedAll)
			}
		}
	}
	_, addr := w.start(b)
	body := strings.Repeat(strings.Repeat("x", 76)+"\r\n", size/78+1)[:size]
	const clients = 16
	total = b.N
	var next sync.Mutex
	n := 0
	// Sessions are opened (and bcrypt paid) before the clock starts.
	sessions := make([]*smtp.Client, clients)
	for i := range sessions {
		c, err := login(addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		sessions[i] = c
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range sessions {
		wg.Go(func() {
			for {
				next.Lock()
				i := n
				n++
				next.Unlock()
				if i >= b.N {
					return
				}
				subject := fmt.Sprintf("bench-%d", i)
				mu.Lock()
				sent[subject] = time.Now()
				mu.Unlock()
				if err := sendBody(c, subject, body); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-arrivedAll:
	case <-time.After(2 * time.Minute):
		b.Fatalf("only %d of %d messages arrived", len(lat), b.N)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func sendBody(c *smtp.Client, subject, body string) error {
	msg := "From: Alice <alice@example.com>\r\nTo: bob@dest.example\r\nSubject: " + subject + "\r\n\r\n" + body
	return c.SendMail("alice@example.com", []string{"bob@dest.example"}, strings.NewReader(msg))
}
