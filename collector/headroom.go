package collector

// HeadroomState is whether a service's next rolling deployment can proceed
// given the capacity that exists now. See collector/rules Headroom.
type HeadroomState string

// The headroom states.
const (
	// HeadroomFull: every task maximumPercent allows to start at once fits.
	HeadroomFull HeadroomState = "full"
	// HeadroomSlow: the deployment proceeds, but fewer tasks at a time than
	// maximumPercent allows (room for some, or old tasks stopped first).
	HeadroomSlow HeadroomState = "slow"
	// HeadroomStalled: no new task fits and ECS may stop no old task first
	// (minimumHealthyPercent 100): the deployment cannot start at all.
	HeadroomStalled HeadroomState = "stalled"
)

// HeadroomStates lists every HeadroomState.
var HeadroomStates = []HeadroomState{HeadroomFull, HeadroomSlow, HeadroomStalled}
