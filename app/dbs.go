package app

import (
	"fmt"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/log"
)

// dbRecorder opens CometBFT's databases and remembers them, so that all can
// be closed after Stop or a failed NewNode (CometBFT closes neither its tx
// index nor anything when NewNode fails, which would keep the LevelDB locks
// and make the next start in this process fail).
type dbRecorder struct {
	mu  sync.Mutex
	dbs []dbm.DB
	// gate, when set, sees every failed access to the databases handed to
	// CometBFT before CometBFT does (see diskfault.go).
	gate *diskFaultGate
}

func (r *dbRecorder) provider(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err != nil {
		if isLockedErr(err) {
			return nil, errDataDirInUse(ctx.Config.DBDir())
		}
		if s, ok := levelStoreByID(ctx.ID); ok && isCorrupted(err) {
			return nil, openErrDamaged(s, ctx.Config, err)
		}
		return nil, fmt.Errorf("open %s database: %w", ctx.ID, err)
	}
	r.mu.Lock()
	r.dbs = append(r.dbs, db)
	r.mu.Unlock()
	if r.gate != nil {
		fdb := faultDB{DB: db, gate: r.gate}
		if s, ok := levelStoreByID(ctx.ID); ok {
			dbDir, home := ctx.Config.DBDir(), ctx.Config.RootDir
			fdb.damaged = func(cause string) *StoreDamagedError { return s.damaged(dbDir, home, cause) }
		}
		return fdb, nil
	}
	return db, nil
}

func (r *dbRecorder) open(id string, c *cmtcfg.Config) (dbm.DB, error) {
	return r.provider(&cmtcfg.DBContext{ID: id, Config: c})
}

// closeAll closes every database opened so far; closing one that CometBFT
// already closed is harmless.
func (r *dbRecorder) closeAll(logger log.Logger) {
	r.mu.Lock()
	dbs := r.dbs
	r.dbs = nil
	r.mu.Unlock()
	for _, db := range dbs {
		if err := db.Close(); err != nil {
			logger.Debug("closing database", "err", err)
		}
	}
}
