// Package live gives the drift audit the live copies of objects from a real API server: Reader
// lists them once (`driftgate diff --cluster`, `driftgate audit --once`) and Cache keeps them
// watched for the audit loop of `driftgate serve`. Either way an object comes out as an
// audit.Object stripped of what the differ never reads (status, the API server's bookkeeping
// metadata), keeping what it does: labels, annotations (last-applied-configuration included),
// managedFields and the object's content. The Cache stores each object as compact JSON, not as
// a decoded map, so that 10,000 Deployments fit well under 100 MiB.
package live
