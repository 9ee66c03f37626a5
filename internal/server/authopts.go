package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/authn/oidc"
	authnwebhook "github.com/capstan/capstan/internal/apiserver/authn/webhook"
	"github.com/capstan/capstan/internal/apiserver/authz/abac"
	authzwebhook "github.com/capstan/capstan/internal/apiserver/authz/webhook"
)

// AuthOptions are kube-apiserver's flags for further authenticators (OIDC,
// token webhook) and authorizers (ABAC, webhook).
type AuthOptions struct {
	// OIDC authenticates ID tokens of OIDC.IssuerURL; empty disables it.
	OIDC oidc.Options
	// TokenWebhookConfigFile is a kubeconfig naming a TokenReview service;
	// TokenWebhookCacheTTL caches its answers (default 2m).
	TokenWebhookConfigFile string
	TokenWebhookCacheTTL   time.Duration
	// AuthorizationModes is --authorization-mode. Empty means Node,RBAC
	// followed by ABAC and Webhook when their files are given. Capstan
	// always asks Node and RBAC first, so an explicit list must start with
	// them; ABAC, Webhook, AlwaysAllow and AlwaysDeny may follow.
	AuthorizationModes []string
	// AuthorizationPolicyFile is the ABAC policy (one JSON Policy a line).
	AuthorizationPolicyFile string
	// AuthorizationWebhookConfigFile is a kubeconfig naming a
	// SubjectAccessReview service, its answers cached for the authorized
	// (default 5m) and unauthorized (default 30s) TTLs.
	AuthorizationWebhookConfigFile                                         string
	AuthorizationWebhookAuthorizedTTL, AuthorizationWebhookUnauthorizedTTL time.Duration
}

// Authorization modes, as kube-apiserver spells them.
const (
	ModeNode        = "Node"
	ModeRBAC        = "RBAC"
	ModeABAC        = "ABAC"
	ModeWebhook     = "Webhook"
	ModeAlwaysAllow = "AlwaysAllow"
	ModeAlwaysDeny  = "AlwaysDeny"
)

// authPlugins are what AuthOptions add to the API server.
type authPlugins struct {
	tokens []apiserver.TokenAuthenticator
	after  []apiserver.Authorizer
}

// buildAuth reads every configured file and builds the authenticators and
// authorizers; a missing or malformed file is an error naming it. Nothing
// here contacts a remote service.
func buildAuth(o AuthOptions, log *slog.Logger) (authPlugins, error) {
	var p authPlugins
	switch {
	case o.OIDC.IssuerURL != "":
		o.OIDC.Log = log.With("component", "oidc")
		a, err := oidc.New(o.OIDC)
		if err != nil {
			return p, fmt.Errorf("--oidc-*: %w", err)
		}
		p.tokens = append(p.tokens, a)
	case o.OIDC.ClientID != "":
		return p, errors.New("--oidc-client-id needs --oidc-issuer-url")
	}
	if o.TokenWebhookConfigFile != "" {
		a, err := authnwebhook.New(authnwebhook.Options{ConfigFile: o.TokenWebhookConfigFile, CacheTTL: o.TokenWebhookCacheTTL,
			Log: log.With("component", "token-webhook")})
		if err != nil {
			return p, fmt.Errorf("--authentication-token-webhook-config-file: %w", err)
		}
		p.tokens = append(p.tokens, a)
	}
	modes, err := authorizationModes(o)
	if err != nil {
		return p, err
	}
	for _, m := range modes {
		z, err := buildAuthorizer(m, o, log)
		if err != nil {
			return p, err
		}
		p.after = append(p.after, z)
	}
	if len(modes) > 0 {
		log.Info("authorization modes", "modes", append([]string{ModeNode, ModeRBAC}, modes...))
	}
	return p, nil
}

func buildAuthorizer(mode string, o AuthOptions, log *slog.Logger) (apiserver.Authorizer, error) {
	switch mode {
	case ModeABAC:
		specs, err := abac.LoadFile(o.AuthorizationPolicyFile)
		if err != nil {
			return nil, err
		}
		return abac.New(specs), nil
	case ModeWebhook:
		z, err := authzwebhook.New(authzwebhook.Options{ConfigFile: o.AuthorizationWebhookConfigFile,
			AuthorizedTTL: o.AuthorizationWebhookAuthorizedTTL, UnauthorizedTTL: o.AuthorizationWebhookUnauthorizedTTL,
			Log: log.With("component", "authorization-webhook")})
		if err != nil {
			return nil, fmt.Errorf("--authorization-webhook-config-file: %w", err)
		}
		return z, nil
	case ModeAlwaysAllow:
		return apiserver.AllowAll{}, nil
	default: // ModeAlwaysDeny, the only other mode authorizationModes returns
		return alwaysDeny{}, nil
	}
}

// authorizationModes returns the modes asked after Node and RBAC, checking
// the list and the files as kube-apiserver does: no unknown or repeated
// modes, a file for ABAC and Webhook, and no file without its mode.
func authorizationModes(o AuthOptions) ([]string, error) {
	modes := o.AuthorizationModes
	if len(modes) == 0 {
		modes = []string{ModeNode, ModeRBAC}
		if o.AuthorizationPolicyFile != "" {
			modes = append(modes, ModeABAC)
		}
		if o.AuthorizationWebhookConfigFile != "" {
			modes = append(modes, ModeWebhook)
		}
	}
	seen := map[string]bool{}
	for _, m := range modes {
		switch m {
		case ModeNode, ModeRBAC, ModeABAC, ModeWebhook, ModeAlwaysAllow, ModeAlwaysDeny:
		default:
			return nil, fmt.Errorf("--authorization-mode %q: unknown mode (known: Node, RBAC, ABAC, Webhook, AlwaysAllow, AlwaysDeny)", m)
		}
		if seen[m] {
			return nil, fmt.Errorf("--authorization-mode: %s is listed twice", m)
		}
		seen[m] = true
	}
	if len(modes) < 2 || !slices.Contains(modes[:2], ModeNode) || !slices.Contains(modes[:2], ModeRBAC) {
		return nil, fmt.Errorf("--authorization-mode %v: capstan always authorizes with Node and RBAC first; list them first", modes)
	}
	for _, c := range []struct{ mode, file, flag string }{
		{ModeABAC, o.AuthorizationPolicyFile, "--authorization-policy-file"},
		{ModeWebhook, o.AuthorizationWebhookConfigFile, "--authorization-webhook-config-file"},
	} {
		switch {
		case seen[c.mode] && c.file == "":
			return nil, fmt.Errorf("authorization mode %s needs %s", c.mode, c.flag)
		case !seen[c.mode] && c.file != "":
			return nil, fmt.Errorf("%s needs %s in --authorization-mode", c.flag, c.mode)
		}
	}
	return modes[2:], nil
}

// alwaysDeny is upstream's AlwaysDeny authorizer: no opinion with a
// reason, so later modes still decide; it grants no rules.
type alwaysDeny struct{}

var _ apiserver.Authorizer = alwaysDeny{}

func (alwaysDeny) Authorize(context.Context, apiserver.Attributes) (bool, string, error) {
	return false, "Everything is forbidden.", nil
}

func (alwaysDeny) Rules(context.Context, apiserver.User, string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	return nil, nil, false, nil
}
