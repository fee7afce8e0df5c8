package source

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securefs "github.com/fluxcd/pkg/kustomize/filesys"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/pkg/util"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// argoKustomizeOptions are `kustomize build`'s defaults, as Argo CD runs it without
// kustomize.buildOptions: files only from within the kustomization's directory tree, no plugins.
func argoKustomizeOptions() *krusty.Options {
	o := krusty.MakeDefaultOptions()
	o.PluginConfig = types.DisabledPluginConfig()
	return o
}

// argoKustomizeFS is the repository checked out at root, confined to it, in which the
// kustomization file kfile in dir reads with the Application's kustomize options written in,
// as Argo CD's `kustomize edit` commands write them: set nameprefix, namesuffix and namespace,
// set image, add label and add annotation (refused, as kustomize refuses it, when a key is
// there with another value and force is not set), with the build environment env substituted
// where Argo CD substitutes it.
func argoKustomizeFS(root, dir, kfile string, o *ArgoKustomize, env argoEnv) (filesys.FileSystem, error) {
	fSys, err := securefs.MakeFsOnDiskSecure(root)
	if err != nil {
		return nil, err
	}
	if o == nil || o.empty() {
		return fSys, nil
	}
	file := filepath.Join(dir, kfile)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("reading %s: %w", kfile, err)
	}
	if err := o.apply(&k, env); err != nil {
		return nil, err
	}
	changed, err := yaml.Marshal(&k)
	if err != nil {
		return nil, err
	}
	at, _, err := fSys.CleanedAbs(dir) // the directory as kustomize's loader names it
	if err != nil {
		return nil, err
	}
	return kustomizationFS{FileSystem: fSys, path: at.Join(kfile), data: changed}, nil
}

func (o *ArgoKustomize) empty() bool {
	return o.NamePrefix == "" && o.NameSuffix == "" && o.Namespace == "" && len(o.Images) == 0 &&
		len(o.CommonLabels) == 0 && len(o.CommonAnnotations) == 0
}

// apply writes the options into k as `kustomize edit` does: images and common labels with env
// substituted in their values, common annotations too with CommonAnnotationsEnvsubst.
func (o *ArgoKustomize) apply(k *types.Kustomization, env argoEnv) error {
	if o.NamePrefix != "" {
		k.NamePrefix = o.NamePrefix
	}
	if o.NameSuffix != "" {
		k.NameSuffix = o.NameSuffix
	}
	for _, img := range o.Images {
		k.Images = setImage(k.Images, env.subst(img))
	}
	var err error
	if k.CommonLabels, err = addAll(k.CommonLabels, substValues(o.CommonLabels, env), o.ForceCommonLabels, "label"); err != nil {
		return err
	}
	annotations := o.CommonAnnotations
	if o.CommonAnnotationsEnvsubst {
		annotations = substValues(annotations, env)
	}
	if k.CommonAnnotations, err = addAll(k.CommonAnnotations, annotations, o.ForceCommonAnnotations, "annotation"); err != nil {
		return err
	}
	if o.Namespace != "" {
		k.Namespace = o.Namespace
	}
	return nil
}

// setImage is `kustomize edit set image arg`: "name=newName[:tag|@digest]" or
// "name[:tag|@digest]"; the entry for name is replaced, keeping its newName when the argument
// gives none.
func setImage(images []types.Image, arg string) []types.Image {
	var img types.Image
	if name, to, ok := strings.Cut(arg, "="); ok {
		img.Name = name
		newName, tag, digest := util.SplitImageName(to)
		if newName != name {
			img.NewName = newName
		}
		img.NewTag, img.Digest = tag, digest
	} else {
		img.Name, img.NewTag, img.Digest = util.SplitImageName(arg)
	}
	for i, old := range images {
		if old.Name != img.Name {
			continue
		}
		if img.NewName == "" {
			img.NewName = old.NewName
		}
		images[i] = img
		return images
	}
	return append(images, img)
}

// addAll is `kustomize edit add label|annotation [--force]`.
func addAll(to, add map[string]string, force bool, what string) (map[string]string, error) {
	if len(add) == 0 {
		return to, nil
	}
	if to == nil {
		to = map[string]string{}
	}
	for k, v := range add {
		if old, ok := to[k]; ok && old != v && !force {
			return nil, fmt.Errorf("%s %s is in the kustomization file already, and force is not set (Argo CD's kustomize edit refuses it too)", what, k)
		}
		to[k] = v
	}
	return to, nil
}

// substValues is m with env substituted in its values.
func substValues(m map[string]string, env argoEnv) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = env.subst(v)
	}
	return out
}
