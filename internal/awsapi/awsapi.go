// Package awsapi builds the aws.Config every AWS client of ecswatch uses:
// credentials and region from the default chain, the SDK's adaptive retryer,
// a timeout per attempt, an optional endpoint override, and a middleware that
// counts every attempt by service, operation and outcome.
package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ecswatch/ecswatch/internal/ecsvocab"
)

// Counter receives one count per API attempt.
type Counter interface {
	CountAPICall(service, operation, outcome string)
}

// Options shape the clients.
type Options struct {
	// Region; empty takes the default chain's (AWS_REGION, profile, IMDS).
	Region string
	// Endpoint overrides every service's endpoint, for the simulator and
	// tests. Empty uses AWS's.
	Endpoint string
	// StaticCredentials are used instead of the default chain when set;
	// the simulator needs some, and must never see real ones.
	StaticCredentials *credentials.StaticCredentialsProvider
	// MaxAttempts per call, retries included.
	MaxAttempts int
	// MaxBackoff between retries.
	MaxBackoff time.Duration
	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout time.Duration
}

// The outcomes an attempt is counted under (ecsvocab.Outcomes).
const (
	OutcomeSuccess      = ecsvocab.OutcomeSuccess
	OutcomeThrottled    = ecsvocab.OutcomeThrottled
	OutcomeClientError  = ecsvocab.OutcomeClientError
	OutcomeServerError  = ecsvocab.OutcomeServerError
	OutcomeNetworkError = ecsvocab.OutcomeNetworkError
)

// LoadConfig returns the aws.Config for opts, counting calls in counter.
func LoadConfig(ctx context.Context, opts Options, counter Counter) (aws.Config, error) {
	loads := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(opts.AttemptTimeout)),
		config.WithRetryer(func() aws.Retryer {
			// Adaptive mode slows the client down when AWS throttles, which
			// is what a poller sharing an account's API quota should do.
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(s *retry.StandardOptions) {
					s.MaxAttempts = opts.MaxAttempts
					s.MaxBackoff = opts.MaxBackoff
				})
			})
		}),
	}
	if opts.Region != "" {
		loads = append(loads, config.WithRegion(opts.Region))
	}
	if opts.Endpoint != "" {
		loads = append(loads, config.WithBaseEndpoint(opts.Endpoint))
	}
	if opts.StaticCredentials != nil {
		loads = append(loads, config.WithCredentialsProvider(*opts.StaticCredentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("load AWS configuration: no region: set standalone.region or AWS_REGION")
	}
	cfg.APIOptions = append(cfg.APIOptions, countAttempts(counter))
	return cfg, nil
}

// countAttempts counts each attempt, which is why it sits after the retry
// middleware: a call retried twice after throttling counts as two throttled
// attempts and one success.
func countAttempts(c Counter) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("ecswatchCountAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleFinalize(ctx, in)
				c.CountAPICall(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), Outcome(err))
				return out, md, err
			}), "Retry", middleware.After)
	}
}

var throttles = retry.IsErrorThrottles(retry.DefaultThrottles)

// Outcome classifies the result of one attempt.
func Outcome(err error) string {
	if err == nil {
		return OutcomeSuccess
	}
	if throttles.IsErrorThrottle(err) == aws.TrueTernary {
		return OutcomeThrottled
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return OutcomeServerError
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return OutcomeClientError
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return OutcomeNetworkError
	}
	return OutcomeClientError
}

// Simulator returns Options for the simulators in internal/sim at endpoint:
// fixed fake credentials (real ones must never be sent there), a region, and
// quick retries.
func Simulator(endpoint, region string) Options {
	return Options{
		Region: region, Endpoint: endpoint,
		StaticCredentials: new(credentials.NewStaticCredentialsProvider("AKIDSIMULATOR", "simulator", "")),
		MaxAttempts:       5, MaxBackoff: 10 * time.Millisecond, AttemptTimeout: 10 * time.Second,
	}
}
