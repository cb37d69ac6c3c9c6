package ecsvocab

import (
	"slices"
	"strings"
)

// A stop reason class says, in a bounded word, why a task or container
// stopped. The classes come from the ECS Developer Guide's stopped-task pages
// ("Amazon ECS stopped task error messages", "View Amazon ECS stopped task
// errors", and the CannotPullContainerError, ResourceInitializationError and
// CannotStartContainerError troubleshooting pages) and AWS's "Why is my
// Amazon ECS task stopped?" article. README's "Why tasks stop" table lists
// every pattern below; a test holds the two together.
const (
	StopImagePull            = "image_pull"
	StopResourceInit         = "resource_init"
	StopContainerStart       = "container_start"
	StopELBHealthCheck       = "elb_health_check"
	StopContainerHealthCheck = "container_health_check"
	StopOOM                  = "oom"
	StopEssentialExited      = "essential_exited"
	StopSpotInterruption     = "spot_interruption"
	StopInfrastructure       = "infrastructure"
	StopScaleIn              = "scale_in"
	StopUser                 = "user"
	StopOther                = "other"
	// StopExited is a container's class only: it exited on its own, with
	// no reason from ECS (its exit code says how).
	StopExited = "exited"
)

// StopField is the field of a stopped task a pattern reads.
type StopField string

// The fields patterns read.
const (
	FieldStopCode        StopField = "stopCode"
	FieldStoppedReason   StopField = "stoppedReason"
	FieldContainerReason StopField = "containers[].reason"
)

// StopPattern maps text ECS documents for a field to a class. Prefix
// patterns match the start of the field, others anywhere in it; both
// ignore case.
type StopPattern struct {
	Field   StopField
	Pattern string
	Prefix  bool
	Class   string
}

// StopPatterns are checked in order against stoppedReason and
// containers[].reason; the first that matches decides. Start failures come
// first: ECS puts their error text in stoppedReason too.
var StopPatterns = []StopPattern{
	{FieldStoppedReason, "Your Spot Task was interrupted", true, StopSpotInterruption},
	{FieldStoppedReason, "CannotPullContainerError", false, StopImagePull},
	{FieldStoppedReason, "CannotPullImageManifestError", false, StopImagePull},
	{FieldStoppedReason, "ResourceInitializationError", false, StopResourceInit},
	{FieldStoppedReason, "CannotCreateContainerError", false, StopContainerStart},
	{FieldStoppedReason, "CannotStartContainerError", false, StopContainerStart},
	{FieldStoppedReason, "CannotInspectContainerError", false, StopContainerStart},
	{FieldStoppedReason, "ContainerRuntimeError", false, StopContainerStart},
	{FieldStoppedReason, "ContainerRuntimeTimeoutError", false, StopContainerStart},
	{FieldStoppedReason, "Task failed ELB health checks", true, StopELBHealthCheck},
	{FieldStoppedReason, "Task failed container health checks", true, StopContainerHealthCheck},
	{FieldStoppedReason, "Scaling activity initiated by", true, StopScaleIn},
	{FieldStoppedReason, "Task stopped by user", true, StopUser},
	{FieldStoppedReason, "Container instance deregistration forced by user", true, StopInfrastructure},
	{FieldStoppedReason, "Host EC2 (instance", true, StopInfrastructure},
	{FieldStoppedReason, "ECS is performing maintenance on the underlying infrastructure", true, StopInfrastructure},
	// An essential container exited: its container's reason says why, where
	// ECS knows (the patterns below), else it exited on its own.
	{FieldContainerReason, "OutOfMemoryError", true, StopOOM},
	{FieldContainerReason, "CannotPullContainerError", false, StopImagePull},
	{FieldContainerReason, "CannotPullImageManifestError", false, StopImagePull},
	{FieldContainerReason, "ResourceInitializationError", false, StopResourceInit},
	{FieldContainerReason, "CannotCreateContainerError", false, StopContainerStart},
	{FieldContainerReason, "CannotStartContainerError", false, StopContainerStart},
	{FieldContainerReason, "CannotInspectContainerError", false, StopContainerStart},
	{FieldContainerReason, "ContainerRuntimeError", false, StopContainerStart},
	{FieldContainerReason, "ContainerRuntimeTimeoutError", false, StopContainerStart},
	{FieldStoppedReason, "Essential container in task exited", true, StopEssentialExited},
}

// StopCodeClasses classify by stopCode a task whose text no pattern matched.
var StopCodeClasses = []struct{ Code, Class string }{
	{"SpotInterruption", StopSpotInterruption},
	{"TerminationNotice", StopInfrastructure},
	{"InfrastructureHealth", StopInfrastructure},
	{"UserInitiated", StopUser},
	{"EssentialContainerExited", StopEssentialExited},
}

// StopClasses are every class, in the order README lists them.
var StopClasses = []string{
	StopImagePull, StopResourceInit, StopContainerStart, StopELBHealthCheck, StopContainerHealthCheck,
	StopOOM, StopEssentialExited, StopSpotInterruption, StopInfrastructure, StopScaleIn, StopUser, StopOther,
}

// StopFailure reports whether a class means the task failed, as opposed to
// being stopped on purpose (scale-in, user) or by its capacity (Spot,
// infrastructure). Failures are what a crash loop is made of.
func StopFailure(class string) bool {
	switch class {
	case StopImagePull, StopResourceInit, StopContainerStart, StopELBHealthCheck,
		StopContainerHealthCheck, StopOOM, StopEssentialExited:
		return true
	}
	return false
}

// FailureClasses are the classes for which StopFailure is true.
func FailureClasses() []string {
	var out []string
	for _, c := range StopClasses {
		if StopFailure(c) {
			out = append(out, c)
		}
	}
	return out
}

func matches(p StopPattern, text string) bool {
	t, pat := strings.ToLower(text), strings.ToLower(p.Pattern)
	if p.Prefix {
		return strings.HasPrefix(t, pat)
	}
	return strings.Contains(t, pat)
}

// StopClass classifies a stopped task from its stopCode, stoppedReason and
// its containers' reasons. The essential container's reason decides an
// "Essential container in task exited": ECS puts the cause (an OOM kill, a
// pull error) there and only the generic text in stoppedReason.
func StopClass(stopCode, stoppedReason string, containerReasons []string) string {
	for _, p := range StopPatterns {
		switch p.Field {
		case FieldStoppedReason:
			if matches(p, stoppedReason) {
				return p.Class
			}
		case FieldContainerReason:
			if slices.ContainsFunc(containerReasons, func(r string) bool { return matches(p, r) }) {
				return p.Class
			}
		}
	}
	for _, c := range StopCodeClasses {
		if c.Code == stopCode {
			return c.Class
		}
	}
	return StopOther
}

// ContainerStopClasses are every class ContainerStopClass returns.
func ContainerStopClasses() []string {
	return []string{StopOOM, StopImagePull, StopResourceInit, StopContainerStart, StopExited, StopOther}
}

// ContainerStopClass classifies one stopped container from its reason and
// whether it has an exit code: a container ECS gives no reason for exited
// on its own.
func ContainerStopClass(reason string, hasExitCode bool) string {
	for _, p := range StopPatterns {
		if p.Field == FieldContainerReason && matches(p, reason) {
			return p.Class
		}
	}
	if reason == "" && hasExitCode {
		return StopExited
	}
	return StopOther
}

// CrashLoopUnknown is the reason of a crash loop ECS reports before ecswatch
// has seen one of its stopped tasks.
const CrashLoopUnknown = "unknown"

// CrashLoopReasons are every value of the crash loop's reason label: the
// failure classes, and unknown.
func CrashLoopReasons() []string {
	return append(FailureClasses(), CrashLoopUnknown)
}
