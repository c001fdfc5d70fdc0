package r53test

import "encoding/xml"

// The documents of the Route 53 API, version 2013-04-01, as its API
// Reference shows them, in the namespace
// https://route53.amazonaws.com/doc/2013-04-01/. Only the elements
// mailconf's adapter and the SDK read or send are modelled; the element
// order follows the reference.

type xHostedZone struct {
	ID                     string      `xml:"Id"`
	Name                   string      `xml:"Name"`
	CallerReference        string      `xml:"CallerReference"`
	Config                 xZoneConfig `xml:"Config"`
	ResourceRecordSetCount int64       `xml:"ResourceRecordSetCount"`
}

type xZoneConfig struct {
	Comment     string `xml:"Comment,omitempty"`
	PrivateZone bool   `xml:"PrivateZone"`
}

type xHostedZones struct {
	Zones []xHostedZone `xml:"HostedZone"`
}

type xListHostedZonesResponse struct {
	XMLName     xml.Name     `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListHostedZonesResponse"`
	HostedZones xHostedZones `xml:"HostedZones"`
	Marker      string       `xml:"Marker"`
	IsTruncated bool         `xml:"IsTruncated"`
	NextMarker  string       `xml:"NextMarker,omitempty"`
	MaxItems    string       `xml:"MaxItems"`
}

type xListHostedZonesByNameResponse struct {
	XMLName          xml.Name     `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListHostedZonesByNameResponse"`
	HostedZones      xHostedZones `xml:"HostedZones"`
	DNSName          string       `xml:"DNSName,omitempty"`
	HostedZoneID     string       `xml:"HostedZoneId,omitempty"`
	IsTruncated      bool         `xml:"IsTruncated"`
	NextDNSName      string       `xml:"NextDNSName,omitempty"`
	NextHostedZoneID string       `xml:"NextHostedZoneId,omitempty"`
	MaxItems         string       `xml:"MaxItems"`
}

type xGetHostedZoneResponse struct {
	XMLName       xml.Name        `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetHostedZoneResponse"`
	HostedZone    xHostedZone     `xml:"HostedZone"`
	DelegationSet *xDelegationSet `xml:"DelegationSet,omitempty"`
	VPCs          *xVPCs          `xml:"VPCs,omitempty"`
}

type xDelegationSet struct {
	NameServers []string `xml:"NameServers>NameServer"`
}

type xVPCs struct {
	VPC []xVPC `xml:"VPC"`
}

type xVPC struct {
	VPCRegion string `xml:"VPCRegion"`
	VPCID     string `xml:"VPCId"`
}

type xRRSet struct {
	Name            string    `xml:"Name"`
	Type            string    `xml:"Type"`
	SetIdentifier   string    `xml:"SetIdentifier,omitempty"`
	Weight          *int64    `xml:"Weight,omitempty"`
	TTL             *int64    `xml:"TTL,omitempty"`
	ResourceRecords *xRecords `xml:"ResourceRecords,omitempty"`
	AliasTarget     *xAlias   `xml:"AliasTarget,omitempty"`
}

type xRecords struct {
	Records []xRecord `xml:"ResourceRecord"`
}

type xRecord struct {
	Value string `xml:"Value"`
}

type xAlias struct {
	HostedZoneID         string `xml:"HostedZoneId"`
	DNSName              string `xml:"DNSName"`
	EvaluateTargetHealth bool   `xml:"EvaluateTargetHealth"`
}

type xRRSets struct {
	Sets []xRRSet `xml:"ResourceRecordSet"`
}

type xListRRSetsResponse struct {
	XMLName              xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ListResourceRecordSetsResponse"`
	ResourceRecordSets   xRRSets  `xml:"ResourceRecordSets"`
	IsTruncated          bool     `xml:"IsTruncated"`
	NextRecordName       string   `xml:"NextRecordName,omitempty"`
	NextRecordType       string   `xml:"NextRecordType,omitempty"`
	NextRecordIdentifier string   `xml:"NextRecordIdentifier,omitempty"`
	MaxItems             string   `xml:"MaxItems"`
}

type xChangeRequest struct {
	XMLName     xml.Name `xml:"ChangeResourceRecordSetsRequest"`
	ChangeBatch struct {
		Comment string    `xml:"Comment"`
		Changes []xChange `xml:"Changes>Change"`
	} `xml:"ChangeBatch"`
}

type xChange struct {
	Action            string `xml:"Action"`
	ResourceRecordSet xRRSet `xml:"ResourceRecordSet"`
}

type xChangeInfo struct {
	ID          string `xml:"Id"`
	Status      string `xml:"Status"`
	SubmittedAt string `xml:"SubmittedAt"`
	Comment     string `xml:"Comment,omitempty"`
}

type xChangeResponse struct {
	XMLName    xml.Name    `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ChangeResourceRecordSetsResponse"`
	ChangeInfo xChangeInfo `xml:"ChangeInfo"`
}

type xGetChangeResponse struct {
	XMLName    xml.Name    `xml:"https://route53.amazonaws.com/doc/2013-04-01/ GetChangeResponse"`
	ChangeInfo xChangeInfo `xml:"ChangeInfo"`
}

type xErrorResponse struct {
	XMLName xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// xInvalidChangeBatch is the error document ChangeResourceRecordSets
// answers a refused batch with: its root is the error name itself, with one
// message per problem.
type xInvalidChangeBatch struct {
	XMLName   xml.Name `xml:"https://route53.amazonaws.com/doc/2013-04-01/ InvalidChangeBatch"`
	Messages  []string `xml:"Messages>Message"`
	RequestID string   `xml:"RequestId"`
}
