package insights

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func cwResult(at time.Time, v float64) types.MetricDataResult {
	return types.MetricDataResult{Id: aws.String("q0"), Timestamps: []time.Time{at}, Values: []float64{v}}
}
