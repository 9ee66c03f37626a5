package apiserver

import (
	"fmt"
	"net/http"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// isReview reports the create-only review resources, answered from the
// request and the authorizer, never stored.
func (r *Resource) isReview() bool {
	switch r.GVK.Group {
	case authenticationv1.GroupName, authorizationv1.GroupName:
		return true
	}
	return false
}

// review answers a POST of an authentication or authorization review.
func (s *Server) review(rq *request) error {
	obj, err := s.decodeBody(rq, rq.res.GVK)
	if err != nil {
		return err
	}
	u, _ := UserFrom(rq.ctx)
	switch o := obj.(type) {
	case *authenticationv1.SelfSubjectReview:
		o.Status.UserInfo = userInfo(u)
	case *authenticationv1.TokenReview:
		o.Status, err = s.tokenReview(rq.ctx, o.Spec)
	case *authorizationv1.SelfSubjectAccessReview:
		o.Status, err = s.accessReview(rq, u, o.Spec.ResourceAttributes, o.Spec.NonResourceAttributes)
	case *authorizationv1.SubjectAccessReview:
		o.Status, err = s.accessReview(rq, subject(o.Spec), o.Spec.ResourceAttributes, o.Spec.NonResourceAttributes)
	case *authorizationv1.LocalSubjectAccessReview:
		if ra := o.Spec.ResourceAttributes; ra == nil || ra.Namespace != rq.ri.namespace {
			return apierrors.NewBadRequest(fmt.Sprintf("spec.resourceAttributes.namespace must match the namespace of the request (%q)", rq.ri.namespace))
		}
		o.Status, err = s.accessReview(rq, subject(o.Spec), o.Spec.ResourceAttributes, o.Spec.NonResourceAttributes)
	case *authorizationv1.SelfSubjectRulesReview:
		o.Status, err = s.rulesReview(rq, u, o.Spec.Namespace)
	default:
		return apierrors.NewInternalError(fmt.Errorf("no review for %T", obj))
	}
	if err != nil {
		return err
	}
	return s.writeObject(rq, http.StatusCreated, obj)
}

func subject(spec authorizationv1.SubjectAccessReviewSpec) User {
	u := User{Name: spec.User, UID: spec.UID, Groups: spec.Groups}
	for k, v := range spec.Extra {
		if u.Extra == nil {
			u.Extra = map[string][]string{}
		}
		u.Extra[k] = v
	}
	return u
}

// userInfo is u as the authentication API shows it.
func userInfo(u User) authenticationv1.UserInfo {
	info := authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups}
	for k, v := range u.Extra {
		if info.Extra == nil {
			info.Extra = map[string]authenticationv1.ExtraValue{}
		}
		info.Extra[k] = v
	}
	return info
}

// accessReview asks the authorizer about exactly one of the two attribute
// kinds, as upstream requires.
func (s *Server) accessReview(rq *request, u User, ra *authorizationv1.ResourceAttributes, nra *authorizationv1.NonResourceAttributes) (authorizationv1.SubjectAccessReviewStatus, error) {
	var st authorizationv1.SubjectAccessReviewStatus
	if (ra == nil) == (nra == nil) {
		return st, apierrors.NewInvalid(rq.res.GVK.GroupKind(), "", fieldErrs("spec.resourceAttributes", nil, "exactly one of nonResourceAttributes or resourceAttributes must be specified"))
	}
	a := Attributes{User: u}
	if ra != nil {
		a.ResourceRequest, a.Verb, a.Group, a.Version = true, ra.Verb, ra.Group, ra.Version
		a.Resource, a.Subresource, a.Namespace, a.Name = ra.Resource, ra.Subresource, ra.Namespace, ra.Name
	} else {
		a.Verb, a.Path = nra.Verb, nra.Path
	}
	ok, reason, err := s.cfg.Authorizer.Authorize(rq.ctx, a)
	if err != nil {
		st.EvaluationError = err.Error()
		return st, nil
	}
	st.Allowed, st.Denied, st.Reason = ok, false, reason
	return st, nil
}

func (s *Server) rulesReview(rq *request, u User, namespace string) (authorizationv1.SubjectRulesReviewStatus, error) {
	var st authorizationv1.SubjectRulesReviewStatus
	if namespace == "" {
		return st, apierrors.NewInvalid(rq.res.GVK.GroupKind(), "", fieldErrs("spec.namespace", "", "must be set"))
	}
	res, nonRes, incomplete, err := s.cfg.Authorizer.Rules(rq.ctx, u, namespace)
	if err != nil {
		st.EvaluationError = err.Error()
	}
	st.ResourceRules, st.NonResourceRules, st.Incomplete = res, nonRes, incomplete
	return st, nil
}
