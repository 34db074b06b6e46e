{{/* Names of the test double, as the real chart makes them. */}}
{{- define "apk-helm.resource.prefix" -}}
{{- printf "%s-wso2-apk" .Release.Name -}}
{{- end -}}

{{- define "apk-helm.gatewayClassName" -}}
{{- .Values.wso2.apk.dp.gatewayClass.name | default "wso2-apk-default" -}}
{{- end -}}

{{/* "a", "b": a TOML array's items. */}}
{{- define "apk-helm.quotedList" -}}
{{- $items := list -}}
{{- range . }}{{ $items = append $items (. | quote) }}{{ end -}}
{{- join ", " $items -}}
{{- end -}}
