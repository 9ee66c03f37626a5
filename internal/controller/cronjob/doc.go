// Package cronjob is the CronJob controller: at each time a CronJob's
// schedule (in its spec.timeZone or CRON_TZ, UTC otherwise) comes due it
// creates a Job named <cronjob>-<scheduled unix minutes>, honouring
// suspend, startingDeadlineSeconds and the Allow/Forbid/Replace concurrency
// policies; it keeps status.active, lastScheduleTime and
// lastSuccessfulTime, deletes finished Jobs beyond the history limits, and
// requeues each CronJob exactly at its next schedule time instead of
// polling.
//
// Schedule arithmetic (missed runs, deadlines, next time) and history
// selection are pure functions in schedule.go and history.go. It must not
// create pods (that is the Job controller's) and must not read storage
// directly.
package cronjob
