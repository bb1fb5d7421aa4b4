// Package persist keeps a sandbox's state on disk (--state DIR) so that a
// restarted sandbox goes on where the last one stopped: the file format,
// the [Saver] that writes it, and the reading back, checked whole, at
// start-up.
//
// # Files
//
// DIR holds two files.
//
// state.json ([StateFile]) is one JSON document, a [State]: its format and
// version, how the sandbox was started ([StartPrint]: a state saved by a
// sandbox started on another scenario, seed or clock is refused), the
// scenario in force (the whole one loaded, then each merchant's part
// replaced since, as TOML text), the seed and how many values its generator
// has made, the clock, the payouts, the notify schedule and the journal.
// It is only ever replaced whole: written to a temporary file beside it,
// synced and renamed over it, so a crash leaves the old file or the new
// one, never a torn one.
//
// state.log ([LogFile]) holds the changes made since state.json was
// written, one [Record] per save, each on a line of its own: the CRC-32
// (IEEE) of the JSON in eight hex digits, a space, the JSON, a newline.
// Its first line is a header naming the state.json it follows by the
// sha256 of its bytes. A record holds the payouts made or changed (as they
// are now), those taken back, the schedule's changes, the journal's new
// entries, the clock and the generator's count; replayed in order over
// state.json they give the state at the last save. A record is read back
// up to [MaxLogRecord] bytes.
//
// # When a save happens
//
// A change is counted ([Saver.Touch]) and saved soon: after at most the
// interval (default [DefaultInterval]) when nothing waits on it, at once
// when a reply does or a notify step was reached. A save appends one
// record of what changed and syncs it, so it costs what changed, not the
// size of the state. The whole state is written again instead (a
// compaction: state.json replaced, then the log begun anew) when the log
// has grown past the size of state.json and at least 1 MiB, when the world
// was made afresh (a reset, a scenario replaced), when more changed than a
// record keeps, after a save that failed, and on a graceful stop, which
// leaves state.json holding everything and the log only its header.
//
// # What a reply waits for
//
// A reply confirms only what a restart keeps. A change a reply confirms
// is registered ([Saver.Register]) with the gate's read side held over the
// change, and the reply waits ([Saver.Wait]) for the save that holds it:
// it goes out once the record is synced, or fails with an error that is
// [ErrNotSaved] when that save failed or the sandbox stopped first. The
// change is then taken back (the undo given to Register, run before any
// later save), so no later save writes what the reply said was not made.
//
// # Reading back
//
// [Load] reads state.json, refusing a file that is not JSON, not this
// format or another version; replays the log over it (a last record cut
// short by a crash is dropped with a warning, as no reply waited on it; a
// damaged record before the last, a gap in the numbering or a log without
// its state.json stops start-up; a log naming an older state.json, left by
// a compaction cut short, is ignored); and checks the result whole: every
// key the sandbox writes is there, every value fits its field, no key is
// unknown, and the payouts, schedule and journal hold only what a sandbox
// saves. Any problem stops start-up with a [StateError] listing them all
// (up to 50), each naming the file and the field: the sandbox does not
// start empty over a state it cannot read.
package persist
