package ecsvocab

import "strings"

// ResourceID is the last path element of an ARN (a task's ID, a cluster's
// or service's name), or s itself when it has none: ECS accepts and returns
// both forms.
func ResourceID(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// TaskDefinition turns a task definition ARN into family:revision, the
// bounded form used as a label; anything else is returned as it is.
func TaskDefinition(arn string) string {
	if i := strings.LastIndex(arn, "task-definition/"); i >= 0 {
		return arn[i+len("task-definition/"):]
	}
	return arn
}

// TaskFamily is the family of a family:revision.
func TaskFamily(td string) string {
	family, _, _ := strings.Cut(td, ":")
	return family
}

// RegionAccount splits arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE; both
// are empty when s is no ARN.
func RegionAccount(arn string) (region, account string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "", ""
	}
	return parts[3], parts[4]
}
