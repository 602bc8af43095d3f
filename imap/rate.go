package imap

import "time"

// commandRate is a token bucket of commands: rate a second, in bursts of
// as many. A client faster than that waits before its next command is
// read, so that one session cannot keep a CPU (and the mailbox lock)
// busy with a flood of cheap commands.
type commandRate struct {
	tokens float64
	last   time.Time
}

// wait takes a token, first sleeping until one is there; rate 0 never
// waits.
func (b *commandRate) wait(rate int) {
	if rate <= 0 {
		return
	}
	now := time.Now()
	if b.last.IsZero() {
		b.tokens = float64(rate)
	} else {
		b.tokens = min(float64(rate), b.tokens+now.Sub(b.last).Seconds()*float64(rate))
	}
	b.last = now
	if b.tokens < 1 {
		d := time.Duration((1 - b.tokens) / float64(rate) * float64(time.Second))
		time.Sleep(d)
		b.last = now.Add(d)
		b.tokens = 1
	}
	b.tokens--
}
