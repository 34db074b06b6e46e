{{/* Names of the test double, as the real chart makes them. */}}
{{- define "am.fullname" -}}
{{- printf "%s-wso2am-all-in-one" .Release.Name -}}
{{- end -}}
