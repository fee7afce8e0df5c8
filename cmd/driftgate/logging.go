package main

import (
	"fmt"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// logOptions are the logging flags of long-running commands.
type logOptions struct {
	format string
	level  string
}

func (o *logOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "log-format", "json", "log format: json or console")
	fs.StringVar(&o.level, "log-level", "info", "log level: debug, info or error")
}

func (o *logOptions) logger() (logr.Logger, error) {
	var zc zap.Config
	switch o.format {
	case "json":
		zc = zap.NewProductionConfig()
	case "console":
		zc = zap.NewDevelopmentConfig()
	default:
		return logr.Logger{}, fmt.Errorf("--log-format %q: want json or console", o.format)
	}
	lvl, err := zapcore.ParseLevel(o.level)
	if err != nil {
		return logr.Logger{}, fmt.Errorf("--log-level %q: want debug, info or error", o.level)
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.Sampling = nil
	z, err := zc.Build()
	if err != nil {
		return logr.Logger{}, err
	}
	return zapr.NewLogger(z), nil
}
