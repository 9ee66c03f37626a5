// Package batch defaults and validates the batch/v1 kinds Job and CronJob,
// prepares a new Job's generated selector and labels (PrepareJobForCreate),
// and parses CronJob schedules (ParseSchedule).
//
// Pod templates go through package core; ObjectMeta is package apis' job.
// This package must not run jobs, create pods or read storage.
package batch
