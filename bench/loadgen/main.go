// Command loadgen is the benchmark's HTTP load generator: a fixed number of keep-alive
// clients, each sending its next request as soon as the previous answer is read (a closed
// loop), for a warm-up and then a fixed measured duration, bounded in total requests and
// allowed to talk to loopback addresses only.
//
// It is written in Go with the standard library only, and runs on one OS thread by
// default (GOMAXPROCS=1), so that on a two-core machine it takes as little CPU as possible
// away from the server being measured. It reports how much CPU it used itself.
//
// Input: a JSON spec (file named by -spec, or stdin):
//
//	{
//	  "name": "contactgraph/profile/c8",
//	  "headers": {"Authorization": "Bearer ...", "X-Purpose": "...", "Content-Type": "application/json"},
//	  "requests": [{"url": "http://127.0.0.1:8100/graphql", "body": "{...}", "expect": "\"c-000001\""}],
//	  "concurrency": 8, "warmup_s": 2, "duration_s": 8, "max_requests": 2000000, "timeout_s": 10
//	}
//
// Client k starts at request k*len/concurrency and cycles through the list. A response
// counts as a success only if its status is 200, its body has no "errors" member, and it
// contains the request's "expect" string (for a profile: the child's id in quotes), so an
// error body can never be counted as a served child.
//
// Output: one JSON object on stdout with count, errors, rps, p50/p95/p99 latency in ms,
// and the mean of extensions.cypherRoundTrips where the server reports it. `count` covers
// the measured window only; `completed` is every answer received, warm-up included.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type request struct {
	URL    string `json:"url"`
	Body   string `json:"body"`
	Expect string `json:"expect"`
}

type spec struct {
	Name        string            `json:"name"`
	Headers     map[string]string `json:"headers"`
	Requests    []request         `json:"requests"`
	Concurrency int               `json:"concurrency"`
	WarmupS     float64           `json:"warmup_s"`
	DurationS   float64           `json:"duration_s"`
	MaxRequests int64             `json:"max_requests"`
	TimeoutS    float64           `json:"timeout_s"`
	GoMaxProcs  int               `json:"gomaxprocs"`
}

type result struct {
	Name           string           `json:"name"`
	Concurrency    int              `json:"concurrency"`
	DurationS      float64          `json:"duration_s"`
	WarmupS        float64          `json:"warmup_s"`
	Count          int64            `json:"count"`
	Completed      int64            `json:"completed"`
	OK             int64            `json:"ok"`
	Errors         int64            `json:"errors"`
	ErrorKinds     map[string]int64 `json:"error_kinds"`
	ErrorSamples   []string         `json:"error_samples"`
	RPS            float64          `json:"rps"`
	P50Ms          float64          `json:"p50_ms"`
	P95Ms          float64          `json:"p95_ms"`
	P99Ms          float64          `json:"p99_ms"`
	MaxMs          float64          `json:"max_ms"`
	MeanMs         float64          `json:"mean_ms"`
	RoundTripsMean *float64         `json:"round_trips_mean"`
	RoundTripsSeen int64            `json:"round_trips_seen"`
	BytesMean      float64          `json:"bytes_mean"`
	ClientCPUS     float64          `json:"client_cpu_s"`
	StoppedBy      string           `json:"stopped_by"`
}

// worker holds one client's measurements; merged after the run, so no locks on the hot path.
type worker struct {
	latencies   []int64 // microseconds, successful measured requests only
	ok          int64
	errs        int64
	kinds       map[string]int64
	samples     []string
	roundTrips  int64
	rtSeen      int64
	bytes       int64
	lastArrival time.Time
}

var roundTripsKey = []byte(`"cypherRoundTrips":`)
var errorsKey = []byte(`"errors":`)

func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%s: only plain http on loopback is allowed", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: not a loopback address", raw)
	}
	return nil
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func percentile(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	// Nearest-rank: the smallest value with at least p% of the samples at or below it.
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return float64(sorted[rank-1]) / 1000
}

func parseRoundTrips(body []byte) (int64, bool) {
	i := bytes.LastIndex(body, roundTripsKey)
	if i < 0 {
		return 0, false
	}
	rest := body[i+len(roundTripsKey):]
	j := 0
	for j < len(rest) && rest[j] == ' ' {
		j++
	}
	k := j
	for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
		k++
	}
	n, err := strconv.ParseInt(string(rest[j:k]), 10, 64)
	return n, err == nil
}

func loadSpec(path string) (*spec, error) {
	var data []byte
	var err error
	if path == "" || path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	s := &spec{Concurrency: 1, WarmupS: 2, DurationS: 8, MaxRequests: 5_000_000, TimeoutS: 10, GoMaxProcs: 1}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return s, nil
}

func main() {
	specPath := flag.String("spec", "-", "JSON workload spec file ('-' for stdin)")
	concurrency := flag.Int("c", 0, "override the spec's concurrency")
	duration := flag.Float64("d", 0, "override the spec's measured duration in seconds")
	warmup := flag.Float64("w", -1, "override the spec's warm-up in seconds")
	rate := flag.Float64("rate", 0, "fixed request rate per second across all clients (0: closed loop)")
	flag.Parse()

	s, err := loadSpec(*specPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if *concurrency > 0 {
		s.Concurrency = *concurrency
	}
	if *duration > 0 {
		s.DurationS = *duration
	}
	if *warmup >= 0 {
		s.WarmupS = *warmup
	}
	if len(s.Requests) == 0 || s.Concurrency < 1 || s.Concurrency > 1024 || s.DurationS <= 0 ||
		s.DurationS > 3600 || s.WarmupS < 0 || s.WarmupS > 600 || s.MaxRequests < 1 {
		fmt.Fprintln(os.Stderr, "loadgen: the spec needs requests, 1..1024 clients, 0 < duration <= 3600 s, warm-up <= 600 s")
		os.Exit(2)
	}
	for _, r := range s.Requests {
		if err := loopbackOnly(r.URL); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
	}
	if s.GoMaxProcs > 0 {
		runtime.GOMAXPROCS(s.GoMaxProcs)
	}

	timeout := time.Duration(s.TimeoutS * float64(time.Second))
	// A hard stop, whatever happens: the harness must never hang on a stuck server.
	hardStop := time.Duration((s.WarmupS + s.DurationS + s.TimeoutS + 10) * float64(time.Second))
	time.AfterFunc(hardStop, func() {
		fmt.Fprintln(os.Stderr, "loadgen: hard deadline reached, exiting")
		os.Exit(3)
	})
	// Nor outlive the harness that started it: once re-parented, it is an orphan.
	parent := os.Getppid()
	go func() {
		for range time.Tick(250 * time.Millisecond) {
			if os.Getppid() != parent {
				fmt.Fprintln(os.Stderr, "loadgen: the harness is gone, exiting")
				os.Exit(4)
			}
		}
	}()

	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if tcp, ok := conn.RemoteAddr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
				conn.Close()
				return nil, errors.New("refusing a non-loopback connection")
			}
			return conn, nil
		},
		MaxIdleConns:        s.Concurrency * 2,
		MaxIdleConnsPerHost: s.Concurrency * 2,
		MaxConnsPerHost:     s.Concurrency * 2,
		IdleConnTimeout:     60 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	client := &http.Client{Transport: transport, Timeout: timeout}

	header := http.Header{}
	for k, v := range s.Headers {
		header.Set(k, v)
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/json")
	}
	bodies := make([][]byte, len(s.Requests))
	expects := make([][]byte, len(s.Requests))
	for i, r := range s.Requests {
		bodies[i] = []byte(r.Body)
		expects[i] = []byte(r.Expect)
	}

	start := time.Now()
	measureStart := start.Add(time.Duration(s.WarmupS * float64(time.Second)))
	measureEnd := measureStart.Add(time.Duration(s.DurationS * float64(time.Second)))
	var issued atomic.Int64
	var completed atomic.Int64
	var cpuAtStart atomic.Value
	var hitMax atomic.Bool
	time.AfterFunc(time.Until(measureStart), func() { cpuAtStart.Store(cpuSeconds()) })

	// With -rate, requests are paced by one shared ticker (a fixed arrival rate, as a
	// soak needs); clients only take a slot when one is due.
	var slots chan struct{}
	if *rate > 0 {
		if *rate > 5000 {
			fmt.Fprintln(os.Stderr, "loadgen: -rate is at most 5000 per second")
			os.Exit(2)
		}
		slots = make(chan struct{}, s.Concurrency)
		interval := time.Duration(float64(time.Second) / *rate)
		go func() {
			ticker := time.NewTicker(interval)
			defer ticker.Stop()
			for range ticker.C {
				select {
				case slots <- struct{}{}:
				default: // every client is busy: the slot is missed, not queued
				}
			}
		}()
	}

	workers := make([]*worker, s.Concurrency)
	var wg sync.WaitGroup
	for c := 0; c < s.Concurrency; c++ {
		w := &worker{kinds: map[string]int64{}, latencies: make([]int64, 0, 4096)}
		workers[c] = w
		wg.Add(1)
		go func(c int, w *worker) {
			defer wg.Done()
			next := c * len(s.Requests) / s.Concurrency
			var buf bytes.Buffer
			for {
				if slots != nil {
					select {
					case <-slots:
					case <-time.After(time.Until(measureEnd)):
						return
					}
				}
				sent := time.Now()
				if !sent.Before(measureEnd) {
					return
				}
				if issued.Add(1) > s.MaxRequests {
					hitMax.Store(true)
					return
				}
				i := next
				next = (next + 1) % len(s.Requests)
				req, err := http.NewRequest(http.MethodPost, s.Requests[i].URL, bytes.NewReader(bodies[i]))
				if err != nil {
					fmt.Fprintln(os.Stderr, "loadgen:", err)
					os.Exit(2)
				}
				req.Header = header.Clone()
				req.ContentLength = int64(len(bodies[i]))
				resp, err := client.Do(req)
				kind := ""
				sample := ""
				var rt int64
				rtOK := false
				size := 0
				if err != nil {
					kind, sample = "transport", err.Error()
				} else {
					buf.Reset()
					_, err = buf.ReadFrom(resp.Body)
					resp.Body.Close()
					body := buf.Bytes()
					switch {
					case err != nil:
						kind, sample = "transport", err.Error()
					case resp.StatusCode != http.StatusOK:
						kind, sample = "status_"+strconv.Itoa(resp.StatusCode), string(body)
					case bytes.Contains(body, errorsKey):
						kind, sample = "graphql_errors", string(body)
					case len(expects[i]) > 0 && !bytes.Contains(body, expects[i]):
						kind, sample = "missing_expected", "expected "+string(expects[i])+" in "+string(body)
					}
					if kind == "" {
						rt, rtOK = parseRoundTrips(body)
						size = len(body)
					}
				}
				done := time.Now()
				completed.Add(1)
				if sent.Before(measureStart) || done.After(measureEnd) {
					continue // warm-up, or finished after the window closed
				}
				w.lastArrival = done
				if kind != "" {
					w.errs++
					w.kinds[kind]++
					if len(w.samples) < 3 {
						if len(sample) > 600 {
							sample = sample[:600] + "..."
						}
						w.samples = append(w.samples, strings.TrimSpace(sample))
					}
					if kind == "transport" {
						time.Sleep(10 * time.Millisecond) // do not spin on a refused connection
					}
					continue
				}
				w.ok++
				if rtOK {
					w.roundTrips += rt
					w.rtSeen++
				}
				w.bytes += int64(size)
				w.latencies = append(w.latencies, done.Sub(sent).Microseconds())
			}
		}(c, w)
	}
	wg.Wait()
	cpuEnd := cpuSeconds()

	res := result{
		Name: s.Name, Concurrency: s.Concurrency, WarmupS: s.WarmupS,
		ErrorKinds: map[string]int64{}, ErrorSamples: []string{}, StoppedBy: "duration",
	}
	end := measureEnd
	if hitMax.Load() {
		res.StoppedBy = "max_requests"
		end = measureStart
		for _, w := range workers {
			if w.lastArrival.After(end) {
				end = w.lastArrival
			}
		}
	}
	res.DurationS = end.Sub(measureStart).Seconds()
	var all []int64
	var rtSum, rtSeen, bytesSum int64
	for _, w := range workers {
		all = append(all, w.latencies...)
		res.OK += w.ok
		res.Errors += w.errs
		for k, v := range w.kinds {
			res.ErrorKinds[k] += v
		}
		for _, smp := range w.samples {
			if len(res.ErrorSamples) < 5 {
				res.ErrorSamples = append(res.ErrorSamples, smp)
			}
		}
		rtSum += w.roundTrips
		rtSeen += w.rtSeen
		bytesSum += w.bytes
	}
	res.Count = res.OK + res.Errors
	res.Completed = completed.Load()
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	if res.DurationS > 0 {
		res.RPS = float64(res.OK) / res.DurationS
	}
	res.P50Ms = percentile(all, 50)
	res.P95Ms = percentile(all, 95)
	res.P99Ms = percentile(all, 99)
	if len(all) > 0 {
		res.MaxMs = float64(all[len(all)-1]) / 1000
		var sum int64
		for _, v := range all {
			sum += v
		}
		res.MeanMs = float64(sum) / float64(len(all)) / 1000
		res.BytesMean = float64(bytesSum) / float64(len(all))
	}
	res.RoundTripsSeen = rtSeen
	if rtSeen > 0 {
		mean := float64(rtSum) / float64(rtSeen)
		res.RoundTripsMean = &mean
	}
	if v, ok := cpuAtStart.Load().(float64); ok {
		res.ClientCPUS = cpuEnd - v
	}
	out, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(out))
}
