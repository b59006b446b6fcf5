package split

import (
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// states holds one state per split file (and stats file), shared by the handlers of the
// configs that use it, so that counters outlive a config reload.
var states = caddy.NewUsagePool()

// WriteInterval is how often changed counters are written to the stats file.
const WriteInterval = time.Second

// state is one service's split file, counters and stats writer.
type state struct {
	file      *File
	stats     *Stats
	statsFile string
	logger    *zap.Logger
	stop      chan struct{}
	done      chan struct{}
}

func newState(service, splitFile, statsFile string, logger *zap.Logger) *state {
	s := &state{
		file:      NewFile(splitFile, logger),
		stats:     NewStats(service, time.Now()),
		statsFile: statsFile,
		logger:    logger,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	if statsFile == "" {
		close(s.done)
		return s
	}
	go s.writeLoop()
	return s
}

// writeLoop writes the stats file at once, then every WriteInterval when a request was
// counted or the split changed, and a last time when stopped.
func (s *state) writeLoop() {
	defer close(s.done)
	ticker := time.NewTicker(WriteInterval)
	defer ticker.Stop()
	var lastTable *Table
	var lastErr error
	write := func() {
		table, splitErr := s.file.Status()
		lastTable, lastErr = table, splitErr
		if err := WriteFile(s.statsFile, s.stats.Snapshot(time.Now(), table, splitErr)); err != nil {
			s.logger.Error("writing the split stats", zap.String("file", s.statsFile), zap.Error(err))
		}
	}
	write()
	for {
		select {
		case <-s.stop:
			write()
			return
		case <-ticker.C:
			// The split file is read here too, so a new split is in the stats within a
			// second even while no request comes.
			s.file.Current()
			table, splitErr := s.file.Status()
			if s.stats.TakeChanged() || table != lastTable || splitErr != lastErr {
				write()
			}
		}
	}
}

// Destruct stops the writer after its last write.
func (s *state) Destruct() error {
	close(s.stop)
	<-s.done
	return nil
}
